"""softswitch.storage"""
