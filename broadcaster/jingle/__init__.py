"""Rhyming prevention jingles (顺口溜): pinyin, rhyme, forms, checker, bank, composer, rhythm."""
