"""On air: sinks that play audio, the playback daemon, and the as-run log (播出记录).

Layers: the player may import schedule/ and everything below it (render, audio, ...), never the desk,
verify or batch; schedule/ never imports the player (docs/glossary.md has the words).
"""
