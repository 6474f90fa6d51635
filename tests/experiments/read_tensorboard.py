"""Test oracle for vdf's TensorBoard event files (tests/experiments/test_tensorboard.cpp): reads them with
the pinned `tensorboard` package exactly as TensorBoard does, and prints what it found as JSON.

  read_tensorboard.py events DIR     -> {"files": [...], "scalars": {tag: [[step, value]]},
                                         "images": {tag: [[step, width, height, decoded_w, decoded_h, mode]]},
                                         "texts": {tag: [[step, text]]}, "file_version": ...}
  read_tensorboard.py crc FILE.json  -> {"masked": [...], "crc": [...]} for a JSON list of hex strings
"""
import io
import json
import os
import sys


def events(directory):
    from PIL import Image
    from tensorboard.backend.event_processing import event_accumulator as ea
    from tensorboard.util import tensor_util

    # Keep everything and purge nothing: a duplicate or out-of-order step must be visible to the test,
    # not silently cleaned up by the reader.
    acc = ea.EventAccumulator(directory, size_guidance={ea.SCALARS: 0, ea.IMAGES: 0, ea.TENSORS: 0},
                              purge_orphaned_data=False)
    acc.Reload()
    tags = acc.Tags()
    out = {"files": sorted(f for f in os.listdir(directory) if "tfevents" in f),
           "scalars": {}, "images": {}, "texts": {}, "file_version": acc.file_version}
    for tag in tags["scalars"]:
        out["scalars"][tag] = [[e.step, e.value] for e in acc.Scalars(tag)]
    for tag in tags["images"]:
        rows = []
        for e in acc.Images(tag):
            img = Image.open(io.BytesIO(e.encoded_image_string))
            img.load()
            rows.append([e.step, e.width, e.height, img.size[0], img.size[1], img.mode])
        out["images"][tag] = rows
    for tag in tags["tensors"]:
        rows = []
        for e in acc.Tensors(tag):
            value = tensor_util.make_ndarray(e.tensor_proto)
            rows.append([e.step, value.item().decode("utf-8")])
        out["texts"][tag] = rows
    return out


def crc(path):
    from tensorboard.compat.tensorflow_stub import pywrap_tensorflow as pw

    data = [bytes.fromhex(h) for h in json.load(open(path))]
    return {"masked": [pw.masked_crc32c(d) for d in data], "crc": [pw.crc32c(d) for d in data]}


if __name__ == "__main__":
    mode, arg = sys.argv[1], sys.argv[2]
    print(json.dumps(events(arg) if mode == "events" else crc(arg)))
