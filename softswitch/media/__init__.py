"""softswitch.media"""
