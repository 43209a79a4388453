"""Reference tensors for the C++ ResNet-50 backbone (tests/models/test_resnet_reference.cpp).

Writes to --out:
  resnet50.pt   the state_dict of a seeded torchvision resnet50 (torch.save), with BatchNorm
                statistics gathered on random batches so that the buffers matter in eval mode
  taps.pt       a dict of tensors computed in eval mode: "input" (2x3x64x80), "layer1" and
                "layer2" (the same at every output stride), and "os16.layer4", "os8.layer4" from
                torchvision's replace_stride_with_dilation variants
  wrapped.pt    {"state_dict": <a BatchNorm2d(3) state_dict with keys prefixed "module.">}, with
                weight [1, 2, 3]: the OrderedDict-in-a-dict layout of training scripts' files
"""
import argparse
import os

import torch
import torchvision

DILATIONS = {16: [False, False, True], 8: [False, True, True]}


def build_weights():
    torch.manual_seed(0)
    model = torchvision.models.resnet50(weights=None)
    with torch.no_grad():
        # Non-trivial affine parameters and running statistics: a fresh network has weight 1,
        # bias 0, mean 0, var 1 everywhere, which would hide a buffer that failed to load.
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5)
                module.bias.normal_(0.0, 0.1)
                module.momentum = None  # cumulative average over the calibration batches
        model.train()
        model(torch.randn(6, 3, 64, 64))
    return model.state_dict()


def taps(state_dict, stride, image):
    # Built on the meta device and given the tensors directly: a second random initialisation
    # would only cost time.
    with torch.device("meta"):
        model = torchvision.models.resnet50(
            weights=None, replace_stride_with_dilation=DILATIONS[stride])
    model.load_state_dict(state_dict, assign=True)
    model.eval()
    with torch.no_grad():
        x = model.maxpool(model.relu(model.bn1(model.conv1(image))))
        layer1 = model.layer1(x)
        layer2 = model.layer2(layer1)
        layer4 = model.layer4(model.layer3(layer2))
    return {"layer1": layer1, "layer2": layer2, f"os{stride}.layer4": layer4}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="folder for resnet50.pt and taps.pt")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(2)

    state_dict = build_weights()
    torch.save(state_dict, os.path.join(args.out, "resnet50.pt"))

    generator = torch.Generator().manual_seed(1)
    image = torch.randn(2, 3, 64, 80, generator=generator)
    reference = {"input": image}
    for stride in DILATIONS:
        reference.update(taps(state_dict, stride, image))
    torch.save(reference, os.path.join(args.out, "taps.pt"))

    norm = torch.nn.BatchNorm2d(3)
    with torch.no_grad():
        norm.weight.copy_(torch.tensor([1.0, 2.0, 3.0]))
    wrapped = torch.nn.Sequential()
    wrapped.add_module("module", norm)
    torch.save({"state_dict": wrapped.state_dict()}, os.path.join(args.out, "wrapped.pt"))


if __name__ == "__main__":
    main()
