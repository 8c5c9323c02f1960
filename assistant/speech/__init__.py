"""Voice: what is spoken (script, normalize), who speaks it (engines), and the audio it
becomes (audio, cache). :class:`Speaker` ties them together for the facade."""
