"""softswitch.runtime"""
