"""softswitch.reports"""
