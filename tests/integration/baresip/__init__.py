"""baresip, a second independent softphone, run headless against the switch: its
config (audio from a WAV file, received audio recorded by sndfile, control over
ctrl_tcp), its control client, and the tone checks of what it recorded."""
