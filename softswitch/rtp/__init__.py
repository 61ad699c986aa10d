"""softswitch.rtp"""
