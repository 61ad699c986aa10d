"""softswitch.sip"""
