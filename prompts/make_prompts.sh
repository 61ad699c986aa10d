#!/bin/sh
# Make the switch's prompts from the text files beside this script.
#
#   prompts/make_prompts.sh            (from the repository root; needs espeak-ng and sox)
#
# Each `name|text` line of en.txt / zh.txt becomes softswitch/data/prompts/<lang>/<name>.wav:
# 8 kHz, mono, 16-bit, leading and trailing silence trimmed, peak normalised to -3 dBFS.
# Also makes the music on hold (moh.wav, about 20 s of a soft arpeggio) and the beep.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out="$here/../softswitch/data/prompts"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fmt="-r 8000 -c 1 -b 16 -e signed-integer"

speak() {  # lang voice
    mkdir -p "$out/$1"
    grep -v '^#' "$here/$1.txt" | grep '|' | while IFS='|' read -r name text; do
        espeak-ng -v "$2" -s 150 -w "$tmp/raw.wav" "$text"
        sox "$tmp/raw.wav" $fmt "$out/$1/$name.wav" \
            silence 1 0.01 0.5% reverse silence 1 0.01 0.5% reverse norm -3
    done
}

speak en en-us
speak zh cmn

# beep: 1 kHz for 0.4 s with soft edges, -6 dBFS
sox -n $fmt "$out/beep.wav" synth 0.4 sine 1000 vol 0.5 fade 0.01 0.4 0.01

# music on hold: an arpeggio over four chords (C, A minor, F, G), plucked, repeated 2.5 times
i=0
for chord in "C4 E4 G4 C5 G4 E4 C4 E4" "A3 C4 E4 A4 E4 C4 A3 C4" \
             "F3 A3 C4 F4 C4 A3 F3 A3" "G3 B3 D4 G4 D4 B3 G3 B3"; do
    for note in $chord; do
        i=$((i + 1))
        sox -n $fmt "$tmp/n$(printf %03d $i).wav" synth 0.25 pluck "$note" vol 0.4 fade 0 0.25 0.2
    done
done
sox "$tmp"/n*.wav "$tmp/phrase.wav"
sox "$tmp/phrase.wav" "$tmp/phrase.wav" "$tmp/phrase.wav" $fmt "$tmp/moh.wav" \
    trim 0 20 reverb 30 norm -6
sox "$tmp/moh.wav" $fmt "$out/moh.wav"
echo "prompts written to $out"
