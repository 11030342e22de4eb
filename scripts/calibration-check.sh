#!/bin/sh
# The simulator predicts this machine (issue 12, item 5): calibrate a topology of this machine,
# then compare its predictions with the default run's exchanges in flight and with bench
# alltoall's round trip, one line each: "predicted X ms, measured Y ms, ratio R (within ±25%: yes/no)".
# A ratio outside ±25% is printed, not failed: the machine is shared and noisy (docs/SIMULATOR.md).
# Usage: scripts/calibration-check.sh SWITCHYARD_BINARY OUT_DIR [CALIBRATE_FLAGS…]
set -eu
bin=$1 out=$2
shift 2
mkdir -p "$out"
"$bin" topology calibrate --out "$out/calibrated.json" "$@"
# The run's ZeroMQ links use CURVE (the default), as calibrate measures them and as bench alltoall is told to.
"$bin" run --quiet --cluster cluster/local-dgx-b200.json --model mini --out "$out/run"
echo "calibration: default run (switchyard run --cluster cluster/local-dgx-b200.json --model mini)"
"$bin" simulate --model mini --topology "$out/calibrated.json" --weights f32 --routing "trace:$out/run" | grep '^exchanges in flight'
echo "calibration: bench alltoall --transport zmq --security curve --hosts 8 --tokens 256"
"$bin" bench alltoall --transport zmq --security curve --hosts 8 --tokens 256 --topology "$out/calibrated.json" | grep '^# round trip of'
