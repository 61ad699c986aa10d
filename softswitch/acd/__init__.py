"""softswitch.acd"""
