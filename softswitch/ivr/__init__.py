"""softswitch.ivr"""
