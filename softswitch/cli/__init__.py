"""softswitch.cli"""
