"""kerascope's FLOPs of each Keras Applications CNN against TensorFlow's profiler, at batch 1.

For each model: build it (weights=None), save it as `.keras`, read the file
statically with kerascope, and run TensorFlow's profiler
(`ProfileOptionBuilder.float_operation()`) on the frozen inference graph.
Prints kerascope's FLOPs, the profiler's and their ratio; the target is within
2 % for every model. Each model runs in its own child process (memory is freed
between models).

    python benchmarks/flops_vs_profiler.py [--models NAME ...] [--skip-large]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODELS = [
    "MobileNet", "MobileNetV2", "MobileNetV3Small", "MobileNetV3Large", "NASNetMobile",
    "EfficientNetB0", "EfficientNetB1", "EfficientNetB2", "EfficientNetB3", "EfficientNetB4",
    "EfficientNetB5", "EfficientNetB6", "EfficientNetB7",
    "EfficientNetV2B0", "EfficientNetV2B1", "EfficientNetV2B2", "EfficientNetV2B3",
    "EfficientNetV2S", "EfficientNetV2M", "EfficientNetV2L",
    "DenseNet121", "DenseNet169", "DenseNet201", "InceptionV3", "InceptionResNetV2", "Xception",
    "ResNet50", "ResNet101", "ResNet152", "ResNet50V2", "ResNet101V2", "ResNet152V2",
    "VGG16", "VGG19", "NASNetLarge",
    "ConvNeXtTiny", "ConvNeXtSmall", "ConvNeXtBase", "ConvNeXtLarge", "ConvNeXtXLarge",
]  # fmt: skip
LARGE = {
    "EfficientNetB6",
    "EfficientNetB7",
    "EfficientNetV2L",
    "NASNetLarge",
    "ConvNeXtLarge",
    "ConvNeXtXLarge",
}

ONE_MODEL = """
import json, sys
sys.path.insert(0, sys.argv[3])
import keras, kerascope
from support.tf_profiler import profiler_flops
name, folder = sys.argv[1], sys.argv[2]
extra = {"input_shape": (224, 224, 3)} if "V3" in name else {}
model = getattr(keras.applications, name)(weights=None, **extra)
path = f"{folder}/{name}.keras"
model.save(path)
report = kerascope.inspect(path)
print(json.dumps({"kerascope": report.root.flops, "profiler": profiler_flops(model)}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="*", default=MODELS)
    parser.add_argument("--skip-large", action="store_true")
    args = parser.parse_args()
    env = {
        **os.environ,
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "KERAS_BACKEND": "tensorflow",
        "CUDA_VISIBLE_DEVICES": "",
    }
    failures = 0
    print(f"{'model':<20} {'kerascope FLOPs':>18} {'profiler FLOPs':>18} {'ratio':>8}")
    with tempfile.TemporaryDirectory() as folder:
        for name in args.models:
            if args.skip_large and name in LARGE:
                continue
            done = subprocess.run(
                [sys.executable, "-c", ONE_MODEL, name, folder, str(HERE.parent / "tests")],
                capture_output=True,
                text=True,
                env=env,
            )
            lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
            if done.returncode != 0 or not lines:
                print(f"{name:<20} failed: {done.stderr.strip().splitlines()[-1:]}")
                failures += 1
                continue
            figures = json.loads(lines[-1])
            ours, theirs = figures["kerascope"], figures["profiler"]
            ratio = ours / theirs if ours and theirs else None
            ok = ratio is not None and abs(ratio - 1) <= 0.02
            failures += not ok
            shown = "unknown" if ratio is None else f"{ratio:.4f}"
            print(
                f"{name:<20} {ours or 0:>18,} {theirs:>18,} {shown:>8}{'' if ok else '  OVER 2 %'}",
                flush=True,
            )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
