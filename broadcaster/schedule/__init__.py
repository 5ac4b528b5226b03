"""Schedules: channels, rules, quiet hours and priorities compiled into a plan of plays.

Layers: schedule/ imports render and what is below it, never the player, the desk, verify or batch
(the checks that need the player's sink rules are in player/check.py).
"""
