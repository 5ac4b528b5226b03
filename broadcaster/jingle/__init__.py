"""Rhyming prevention jingles (顺口溜): syllables, rhyme, forms, checker, bank, composer, beats."""
