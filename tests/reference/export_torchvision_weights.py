"""Writes a seeded, randomly initialised torchvision ResNet's state_dict with torch.save: the
file format `model.pretrained` reads (the README's export, without downloading weights).

usage: export_torchvision_weights.py --arch resnet18 --out FILE
"""
import argparse

import torch
import torchvision


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--arch", default="resnet18")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    torch.manual_seed(0)
    model = getattr(torchvision.models, args.arch)(weights=None)
    torch.save(model.state_dict(), args.out)


if __name__ == "__main__":
    main()
