"""softswitch.call"""
