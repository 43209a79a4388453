#!/usr/bin/env python3
"""Reads a folder of event files with TensorBoard's own reader, for train/tensorboard's tests.

TensorBoard's EventAccumulator loads every event file of --logdir (checking each record's
CRC-32C as it goes) and this script writes what it saw to --out as JSON:
  file_version   the version string of the files ("brain.Event:2")
  scalars        {tag: [[step, value], ...]}
  images         {tag: [{step, width, height (the Summary.Image header), decoded_size
                 [width, height] and mode as Pillow decodes the PNG, pixel_0_0, pixel_1_1}]}
  texts          {tag: [[step, text], ...]}, the values claimed by the text plugin
  data_classes   {tag: "DATA_CLASS_..."}: how TensorBoard's current loader (EventFileLoader,
                 which migrates old-style values to tensors) classes each tag
The C++ test compares that with what it wrote. Needs `pip install tensorboard==2.21.0`.
"""
import argparse
import glob
import io
import json
import os
import sys

try:
    from PIL import Image
    from tensorboard.backend.event_processing import (event_accumulator, event_file_loader,
                                                      io_wrapper)
    from tensorboard.compat.proto import summary_pb2
    from tensorboard.util import tensor_util
except ImportError as error:
    sys.exit(f"tensorboard_reference.py: {error}; install it with "
             "`python3 -m pip install tensorboard==2.21.0`")


def pixel(image, x, y):
    value = image.getpixel((x, y))
    return list(value) if isinstance(value, tuple) else [value]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logdir", required=True, help="folder of event files")
    parser.add_argument("--out", required=True, help="JSON file to write")
    args = parser.parse_args()

    # Size guidance 0 keeps every event instead of a reservoir sample.
    keep_all = {kind: 0 for kind in (event_accumulator.SCALARS, event_accumulator.IMAGES,
                                     event_accumulator.TENSORS)}
    accumulator = event_accumulator.EventAccumulator(args.logdir, size_guidance=keep_all)
    accumulator.Reload()
    tags = accumulator.Tags()

    result = {"file_version": None, "scalars": {}, "images": {}, "texts": {}}
    if accumulator.file_version is not None:
        # The accumulator keeps only the number; the files say "brain.Event:<number>".
        result["file_version"] = f"brain.Event:{accumulator.file_version:g}"
    for tag in tags[event_accumulator.SCALARS]:
        result["scalars"][tag] = [[e.step, e.value] for e in accumulator.Scalars(tag)]
    for tag in tags[event_accumulator.IMAGES]:
        images = []
        for event in accumulator.Images(tag):
            decoded = Image.open(io.BytesIO(event.encoded_image_string))
            decoded.load()
            if decoded.format != "PNG":
                sys.exit(f"image {tag} at step {event.step} is {decoded.format}, not PNG")
            images.append({
                "step": event.step, "width": event.width, "height": event.height,
                "decoded_size": list(decoded.size), "mode": decoded.mode,
                "pixel_0_0": pixel(decoded, 0, 0), "pixel_1_1": pixel(decoded, 1, 1),
            })
        result["images"][tag] = images
    try:
        text_tags = accumulator.PluginTagToContent("text")
    except KeyError:  # no value names the text plugin
        text_tags = {}
    for tag in text_tags:
        texts = []
        for event in accumulator.Tensors(tag):
            array = tensor_util.make_ndarray(event.tensor_proto)
            texts.append([event.step, array.reshape(-1)[0].decode("utf-8")])
        result["texts"][tag] = texts

    data_classes = {}
    for path in sorted(glob.glob(os.path.join(args.logdir, "*"))):
        if not io_wrapper.IsTensorFlowEventsFile(path):
            continue
        for event in event_file_loader.EventFileLoader(path).Load():
            for value in event.summary.value:
                if value.HasField("metadata"):
                    data_classes[value.tag] = summary_pb2.DataClass.Name(
                        value.metadata.data_class)
    result["data_classes"] = data_classes

    with open(args.out, "w", encoding="utf-8") as file:
        json.dump(result, file, indent=1, ensure_ascii=False)


if __name__ == "__main__":
    main()
