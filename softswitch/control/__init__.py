"""softswitch.control"""
