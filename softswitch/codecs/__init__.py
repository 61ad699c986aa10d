"""softswitch.codecs"""
