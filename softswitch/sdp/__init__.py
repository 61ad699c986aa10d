"""softswitch.sdp"""
