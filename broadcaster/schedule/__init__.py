"""Schedules: channels, rules, quiet hours and priorities compiled into a plan of plays."""
