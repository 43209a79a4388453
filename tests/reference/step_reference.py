"""The wsss training step in PyTorch eager: the same network, pseudo-labels, losses and optimiser.

Rebuilds in Python what the C++ code defines, with the same parameter and buffer names, so that
a wsss checkpoint's network loads by name:
  WsssNetwork (models/network.*): the backbone with its three taps low / mid / high
    - ResNet-18/34/50/101 (models/resnet*.cpp): torchvision's ResNet class with
      replace_stride_with_dilation for output stride 16 / 8; for ResNet-18/34 a BasicBlock that
      dilates both 3x3 convolutions (torchvision's refuses dilation, ours accepts it);
      batch_norm: frozen keeps the backbone's BatchNorm in eval mode without gradients;
    - the from-scratch GroupNorm net (models/scratch_net.*);
  the MainNet head (models/cam_head.*) and the DeepLabV3+ head (models/aspp.*,
  models/segmentation_head.*, including the 1x1 shortcut of an ASPP rate past the map).
The step is forwardLosses of train/step/training_step.cpp for the baseline: L_cls
(losses/classification_loss.*), the CAM pseudo-labels with the two thresholds
(train/pseudo/pseudo_labels.*, core/class_maps.*), the bg/fg balanced L_seg
(losses/segmentation_loss.*), the weighted total; then backward and SGD / AdamW over the two
learning-rate groups (train/loop/optimizer_factory.*) at the trainer's schedule (train/loop/lr_schedule.*).
Needs torch; torchvision 0.26 and PyYAML where installed. On a machine with torch alone (a GPU
node without network) it builds the same ResNet module tree itself (PlainResNet: the same
names, shapes and initialisation as torchvision's, and the same outputs for the same weights)
and reads the effective config with a small reader of `wsss config`'s YAML.
The self-guided parts of configs/toy/selfguided.yaml (pseudo.refine: the image-guided
refinement of models/refine/image_refinement.*, and affc: L_affc of
train/step/terms/affc_term.cpp, cam_target_term.cpp) are there too; every other method part is refused.

Two modes:

  check --dir DIR [--threads T]
      Parity with the C++ step (tests/train/test_step_reference.cpp writes DIR): reads
      DIR/checkpoint.pt (a wsss checkpoint: the network's tensors, the effective config YAML and
      the iteration, which is the index of the step run), DIR/batch.pt (image, labels, crop_box)
      and DIR/cpp.pt (what the C++ step gave: forward outputs "out.<name>", first-step losses
      "loss.<name>", and for some parameters "grad.<name>" after backward and "param.<name>"
      after the optimiser step). Runs the same step and prints the largest absolute difference
      of every quantity; exits 1 if a forward output or loss differs by more than 1e-4
      (--tolerance), a gradient by more than 1e-4 of its largest magnitude, or a parameter
      after the step by more than 1e-6 (--param-tolerance). --dir may be repeated.

  bench (--config-yaml FILE | --wsss BIN --config FILE [overrides ...])
        --device cpu|cuda --batches N [--threads T] [--amp] [--channels-last] [--classes C]
        [--foreach auto|on|off]
      Times N training steps after two warm-up steps on one fixed random batch of the config's
      train.batch_size and data.augment.crop_size, on a seeded random network, at the step past
      every warm-up (as `wsss bench --what train` does), and prints images/s and, on CUDA, the
      peak allocated memory; the last line is JSON. The config is the effective YAML of
      `wsss config --config FILE` (given as a file, or made by running BIN). --amp: bf16 autocast
      on CUDA; --channels-last: channels-last images and convolution weights on CUDA. The number
      of classes is data.classes, else <data.root>/classes.txt, else VOC's 20 (--classes wins).
      --foreach off makes the optimiser update one parameter at a time, as LibTorch's C++
      optimisers do (torch's default, auto, uses its multi-tensor kernels on CUDA).
"""
import argparse
import contextlib
import json
import math
import os
import subprocess
import sys
import time

import torch
import torch.jit._pickle
import torch.nn as nn
import torch.nn.functional as F

try:
    import torchvision
except ImportError:  # a GPU node with torch alone: the same ResNet, built below
    torchvision = None
try:
    import yaml
except ImportError:  # the same: the effective config is read by parse_config_yaml
    yaml = None

IGNORE = 255

# --------------------------------------------------------------------------------------------
# The network


def group_norm_groups(channels):
    for groups in range(8, 1, -1):
        if channels % groups == 0:
            return groups
    return 1


def group_norm(channels):
    return nn.GroupNorm(group_norm_groups(channels), channels)


def conv3x3(inputs, outputs, stride=1, dilation=1):
    return nn.Conv2d(inputs, outputs, 3, stride=stride, padding=dilation, dilation=dilation,
                     bias=False)


def conv1x1(inputs, outputs, stride=1):
    return nn.Conv2d(inputs, outputs, 1, stride=stride, bias=False)


def norm_layer(kind, channels):
    return nn.BatchNorm2d(channels) if kind == "batch" else group_norm(channels)


def conv_norm_relu(conv, kind, channels):
    return nn.Sequential(conv, norm_layer(kind, channels), nn.ReLU())


def init_conv_and_norm(module):
    with torch.no_grad():
        for child in module.modules():
            if isinstance(child, nn.Conv2d):
                nn.init.kaiming_normal_(child.weight, mode="fan_out", nonlinearity="relu")
                if child.bias is not None:
                    child.bias.zero_()
            elif isinstance(child, (nn.BatchNorm2d, nn.GroupNorm)):
                child.weight.fill_(1.0)
                child.bias.zero_()


def resize_maps(maps, height, width):
    if maps.shape[-2] == height and maps.shape[-1] == width:
        return maps
    return F.interpolate(maps, size=(height, width), mode="bilinear", align_corners=False)


class DilatedBasicBlock(nn.Module):
    """torchvision's BasicBlock (same names and signature) with both 3x3 convolutions dilated."""

    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64,
                 dilation=1, norm_layer=None):
        super().__init__()
        self.conv1 = conv3x3(inplanes, planes, stride, dilation)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes, 1, dilation)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = self.downsample(x) if self.downsample is not None else x
        return self.relu(out + identity)


RESNETS = {
    "resnet18": (False, [2, 2, 2, 2]),
    "resnet34": (False, [3, 4, 6, 3]),
    "resnet50": (True, [3, 4, 6, 3]),
    "resnet101": (True, [3, 4, 23, 3]),
}
DILATE = {32: [False, False, False], 16: [False, False, True], 8: [False, True, True]}


class PlainBottleneck(nn.Module):
    """torchvision's Bottleneck (names, signature, stride and dilation on the 3x3), for a
    machine without torchvision."""

    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64,
                 dilation=1, norm_layer=None):
        super().__init__()
        self.conv1 = conv1x1(inplanes, planes)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes, stride, dilation)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = conv1x1(planes, planes * self.expansion)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        identity = self.downsample(x) if self.downsample is not None else x
        return self.relu(out + identity)


class PlainResNet(nn.Module):
    """torchvision's ResNet module tree and initialisation (no classifier), for a machine
    without torchvision."""

    def __init__(self, block, layers, replace_stride_with_dilation):
        super().__init__()
        self.inplanes, self.dilation = 64, 1
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0], 1, False)
        self.layer2 = self._make_layer(block, 128, layers[1], 2, replace_stride_with_dilation[0])
        self.layer3 = self._make_layer(block, 256, layers[2], 2, replace_stride_with_dilation[1])
        self.layer4 = self._make_layer(block, 512, layers[3], 2, replace_stride_with_dilation[2])
        init_conv_and_norm(self)

    def _make_layer(self, block, planes, blocks, stride, dilate):
        previous_dilation = self.dilation
        if dilate:
            self.dilation *= stride
            stride = 1
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes * block.expansion, stride),
                                       nn.BatchNorm2d(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample, dilation=previous_dilation)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes, dilation=self.dilation))
        return nn.Sequential(*layers)


class ResNetBackbone(nn.Module):
    """torchvision's ResNet without its classifier; taps layer1, layer2, layer4."""

    def __init__(self, name, output_stride):
        super().__init__()
        bottleneck, layers = RESNETS[name]
        dilate = DILATE[output_stride]
        if torchvision is not None:
            resnet = torchvision.models.resnet
            block = resnet.Bottleneck if bottleneck else (
                resnet.BasicBlock if output_stride == 32 else DilatedBasicBlock)
            net = resnet.ResNet(block, layers, replace_stride_with_dilation=dilate)
        else:
            block = PlainBottleneck if bottleneck else DilatedBasicBlock
            net = PlainResNet(block, layers, dilate)
        for child in ("conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4"):
            self.add_module(child, getattr(net, child))
        expansion = 4 if bottleneck else 1
        self.channels = (64 * expansion, 128 * expansion, 512 * expansion)
        self.high_stride = output_stride
        self.uses_batch_norm = True

    def forward(self, image):
        x = self.maxpool(self.relu(self.bn1(self.conv1(image))))
        low = self.layer1(x)
        mid = self.layer2(low)
        high = self.layer4(self.layer3(mid))
        return low, mid, high


class ScratchBlock(nn.Module):
    def __init__(self, inputs, outputs, stride, dilation):
        super().__init__()
        self.conv1 = conv3x3(inputs, outputs, stride, dilation)
        self.norm1 = group_norm(outputs)
        self.conv2 = conv3x3(outputs, outputs, 1, dilation)
        self.norm2 = group_norm(outputs)
        self.shortcut = None
        if stride != 1 or inputs != outputs:
            self.shortcut = nn.Sequential(conv1x1(inputs, outputs, stride), group_norm(outputs))

    def forward(self, x):
        out = torch.relu(self.norm1(self.conv1(x)))
        out = self.norm2(self.conv2(out))
        return torch.relu(out + (self.shortcut(x) if self.shortcut is not None else x))


class ScratchBottleneck(nn.Module):
    def __init__(self, inputs, middle, outputs, dilation):
        super().__init__()
        self.conv1 = conv1x1(inputs, middle)
        self.norm1 = group_norm(middle)
        self.conv2 = conv3x3(middle, middle, 1, dilation)
        self.norm2 = group_norm(middle)
        self.conv3 = conv1x1(middle, outputs)
        self.norm3 = group_norm(outputs)
        self.shortcut = None
        if inputs != outputs:
            self.shortcut = nn.Sequential(conv1x1(inputs, outputs), group_norm(outputs))

    def forward(self, x):
        out = torch.relu(self.norm1(self.conv1(x)))
        out = torch.relu(self.norm2(self.conv2(out)))
        out = self.norm3(self.conv3(out))
        return torch.relu(out + (self.shortcut(x) if self.shortcut is not None else x))


class ScratchNet(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.stem = nn.Sequential(conv3x3(3, width // 2, 2), group_norm(width // 2), nn.ReLU())
        self.stage1 = nn.Sequential(ScratchBlock(width // 2, width, 2, 1))
        self.stage2 = nn.Sequential(ScratchBlock(width, 2 * width, 2, 1))
        self.stage3 = nn.Sequential(ScratchBottleneck(2 * width, 2 * width, 4 * width, 2),
                                    ScratchBottleneck(4 * width, 2 * width, 4 * width, 4))
        init_conv_and_norm(self)
        self.channels = (width, 2 * width, 4 * width)
        self.high_stride = 8
        self.uses_batch_norm = False

    def forward(self, image):
        low = self.stage1(self.stem(image))
        mid = self.stage2(low)
        return low, mid, self.stage3(mid)


class CamHead(nn.Module):
    def __init__(self, inputs, embed_dim, classes):
        super().__init__()
        self.embed = nn.Conv2d(inputs, embed_dim, 1)
        self.classifier = nn.Conv2d(embed_dim, classes, 1, bias=False)
        with torch.no_grad():
            nn.init.kaiming_normal_(self.embed.weight, mode="fan_out", nonlinearity="relu")
            self.embed.bias.zero_()
            nn.init.xavier_uniform_(self.classifier.weight)

    def forward(self, high):
        embed = torch.relu(self.embed(high))
        cam = self.classifier(embed)
        return embed, cam, cam.mean((2, 3))


def atrous_conv(conv, x):
    """models/aspp.cpp's atrousConv: a 3x3 whose dilation reaches past the map on both axes
    only reads its centre tap, so it runs as that 1x1 convolution."""
    only_centre = (conv.kernel_size == (3, 3) and conv.dilation[0] >= x.shape[2]
                   and conv.dilation[1] >= x.shape[3] and conv.stride == (1, 1))
    if not only_centre:
        return conv(x)
    return F.conv2d(x, conv.weight[:, :, 1:2, 1:2], conv.bias)


class Aspp(nn.Module):
    def __init__(self, inputs, channels, rates, kind):
        super().__init__()
        self.branches = nn.ModuleList([conv_norm_relu(conv1x1(inputs, channels), kind, channels)])
        for rate in rates:
            self.branches.append(conv_norm_relu(conv3x3(inputs, channels, 1, rate), kind, channels))
        self.pooling = conv_norm_relu(conv1x1(inputs, channels), kind, channels)
        self.project = conv_norm_relu(conv1x1((len(self.branches) + 1) * channels, channels),
                                      kind, channels)

    def forward(self, features):
        outputs = []
        for branch in self.branches:
            out = atrous_conv(branch[0], features)
            for layer in list(branch)[1:]:
                out = layer(out)
            outputs.append(out)
        pooled = self.pooling(features.mean((2, 3), keepdim=True))
        outputs.append(pooled.expand(-1, -1, features.shape[2], features.shape[3]))
        return self.project(torch.cat(outputs, 1))


class SegmentationHead(nn.Module):
    def __init__(self, high_channels, low_channels, channels, rates, classes, kind):
        super().__init__()
        skip = max(8, channels * 48 // 256)
        self.aspp = Aspp(high_channels, channels, rates, kind)
        self.low_reduce = conv_norm_relu(conv1x1(low_channels, skip), kind, skip)
        self.fuse = nn.Sequential(conv3x3(channels + skip, channels), norm_layer(kind, channels),
                                  nn.ReLU(), conv3x3(channels, channels),
                                  norm_layer(kind, channels), nn.ReLU())
        self.classifier = nn.Conv2d(channels, classes, 1)
        init_conv_and_norm(self)
        with torch.no_grad():
            nn.init.normal_(self.classifier.weight, 0.0, 0.01)
            self.classifier.bias.zero_()

    def forward(self, high, low):
        context = resize_maps(self.aspp(high), low.shape[2], low.shape[3])
        joined = torch.cat([context, self.low_reduce(low)], 1)
        return self.classifier(self.fuse(joined))


class WsssNetwork(nn.Module):
    def __init__(self, model, classes):
        super().__init__()
        if model["backbone"] == "scratch":
            self.backbone = ScratchNet(int(model["scratch_width"]))
        else:
            self.backbone = ResNetBackbone(model["backbone"], int(model["output_stride"]))
        low, _, high = self.backbone.channels
        self.cam_head = CamHead(high, int(model["embed_dim"]), classes)
        rates = [int(rate) * 16 // self.backbone.high_stride for rate in model["aspp_rates"]]
        kind = "batch" if self.backbone.uses_batch_norm else "group"
        self.seg_head = SegmentationHead(high, low, int(model["seg_channels"]), rates, classes + 1,
                                         kind)
        self.frozen = model["batch_norm"] == "frozen" and self.backbone.uses_batch_norm
        if self.frozen:
            for module in self.backbone.modules():
                if isinstance(module, nn.BatchNorm2d):
                    module.weight.requires_grad_(False)
                    module.bias.requires_grad_(False)
            self.train()

    def train(self, mode=True):
        super().train(mode)
        if getattr(self, "frozen", False):
            for module in self.backbone.modules():
                if isinstance(module, nn.BatchNorm2d):
                    module.eval()
        return self

    def forward(self, image, with_segmentation=True):
        low, mid, high = self.backbone(image)
        embed, cam, logits = self.cam_head(high)
        out = {"low": low, "mid": mid, "high": high, "embed": embed, "cam": cam,
               "logits": logits}
        if with_segmentation:
            out["seg"] = self.seg_head(high, low)
        return out

    def backbone_parameters(self):
        return [p for p in self.backbone.parameters() if p.requires_grad]

    def head_parameters(self):
        return ([p for p in self.cam_head.parameters() if p.requires_grad]
                + [p for p in self.seg_head.parameters() if p.requires_grad])


# --------------------------------------------------------------------------------------------
# Maps, pseudo-labels and losses


def divide_by_peak(maps):
    peak = maps.flatten(2).max(2)[0].unsqueeze(-1).unsqueeze(-1)
    return maps / (peak + 1e-5)


def normalise_class_maps(maps, labels):
    return divide_by_peak(torch.relu(maps.float()) * labels.float().unsqueeze(-1).unsqueeze(-1))


def threshold_labels(scores, high, low):
    peak, index = scores.max(1)
    labels = torch.full_like(index, IGNORE)
    labels.masked_fill_(peak < low, 0)
    return torch.where(peak >= high, index + 1, labels)


def inside_crop_box(crop_box, height, width, device):
    box = crop_box.to(device, torch.long)
    rows = torch.arange(height, dtype=box.dtype, device=device).view(1, 1, height, 1)
    cols = torch.arange(width, dtype=box.dtype, device=device).view(1, 1, 1, width)

    def edge(k):
        return box[:, k].view(-1, 1, 1, 1)

    return (rows >= edge(0)) & (rows < edge(2)) & (cols >= edge(1)) & (cols < edge(3))


def ignore_outside_crop_box(labels, crop_box):
    if crop_box is None:
        return labels
    inside = inside_crop_box(crop_box, labels.shape[1], labels.shape[2], labels.device).squeeze(1)
    return labels.masked_fill(inside.logical_not(), IGNORE)


def scaled_side(side, scale):
    return max(1, int(math.floor(side * scale + 0.5)))  # std::lround of a positive value


def stencil_offsets(dilations, with_centre):
    offsets = [(0, 0)] if with_centre else []
    for dilation in dilations:
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                if dy != 0 or dx != 0:
                    offsets.append((dy * dilation, dx * dilation))
    return offsets


class NeighbourViews:
    def __init__(self, x, offsets):
        self.offsets = offsets
        self.height, self.width = x.shape[2], x.shape[3]
        self.pad = max([0] + [max(abs(dy), abs(dx)) for dy, dx in offsets])
        self.padded = x if self.pad == 0 else F.pad(x, (self.pad,) * 4, mode="replicate")

    def __len__(self):
        return len(self.offsets)

    def __getitem__(self, j):
        dy, dx = self.offsets[j]
        return self.padded.narrow(2, self.pad + dy, self.height).narrow(3, self.pad + dx,
                                                                        self.width)

    def stacked(self):
        return torch.stack([self[j] for j in range(len(self))], 2)


def weighted_neighbour_sum(x, weights, offsets):
    views = NeighbourViews(x, offsets)
    total = torch.zeros_like(x)
    for j in range(len(views)):
        total.addcmul_(views[j], weights.select(1, j).unsqueeze(1))
    return total


def valid_neighbours(valid, offsets):
    if valid is None:
        return None
    return NeighbourViews(valid.float(), offsets).stacked().squeeze(1).gt(0.5)


def neighbour_softmax(logits, usable):
    if usable is None:
        return torch.softmax(logits, 1)
    masked = logits.masked_fill(usable.logical_not(), float("-inf"))
    return torch.softmax(masked, 1).nan_to_num(0.0)


def refinement_kernel(image, valid, offsets, refine):
    colour = image.float()
    neighbours = NeighbourViews(colour, offsets)
    usable = valid_neighbours(valid, offsets)
    total = torch.zeros_like(colour)
    squares = torch.zeros_like(colour)
    if usable is not None:
        weights = usable.float().unsqueeze(2)
        count = torch.zeros_like(colour.narrow(1, 0, 1))
        for j in range(len(neighbours)):
            weight = weights.select(1, j)
            difference = (neighbours[j] - colour).mul_(weight)
            total.add_(difference)
            squares.addcmul_(difference, difference)
            count.add_(weight)
    else:
        for j in range(len(neighbours)):
            difference = neighbours[j] - colour
            total.add_(difference)
            squares.addcmul_(difference, difference)
        count = torch.full((1,), float(len(neighbours)), dtype=colour.dtype, device=colour.device)
    variance = ((squares - total * total / count.clamp_min(1))
                / (count - 1).clamp_min(1)).clamp_min(0)
    denominator = (variance.sqrt() + 1e-8) * float(refine["colour_temperature"])
    scale = torch.full_like(denominator, 1.0).div_(denominator)
    logits = torch.empty(colour.shape[0], len(neighbours), colour.shape[2], colour.shape[3],
                         dtype=colour.dtype, device=colour.device)
    for j in range(len(neighbours)):
        contrast = (colour - neighbours[j]).mul_(scale)
        logits.select(1, j).copy_(contrast.square_().sum(1))
    logits.mul_(-1.0 / colour.shape[1])
    distance = torch.tensor([math.sqrt(dy * dy + dx * dx) for dy, dx in offsets],
                            dtype=colour.dtype, device=colour.device)
    position_logits = -(distance / (distance.std() + 1e-8)
                        / float(refine["position_temperature"])).square()
    position = torch.softmax(position_logits, 0).view(1, -1, 1, 1)
    position_weights = position
    if usable is not None:
        kept = position * usable
        position_weights = kept / kept.sum(1, True).clamp_min(1e-30)
    return neighbour_softmax(logits, usable) + float(refine["position_weight"]) * position_weights


def refine_with_image(image, maps, valid, refine):
    with torch.no_grad():
        height = scaled_side(image.shape[2], float(refine["scale"]))
        width = scaled_side(image.shape[3], float(refine["scale"]))
        small = resize_maps(image.float(), height, width)
        current = resize_maps(maps.float(), height, width).contiguous()
        small_valid = None
        if valid is not None:
            small_valid = resize_maps(valid.float(), height, width).ge(0.5)
            if bool(small_valid.all()):
                small_valid = None
        offsets = stencil_offsets([int(d) for d in refine["dilations"]], False)
        kernel = refinement_kernel(small, small_valid, offsets, refine)
        total = kernel.sum(1, True)
        kernel = kernel / total.clamp_min(1e-12)
        fixed = total.le(0)
        if small_valid is not None:
            fixed = fixed | small_valid.logical_not()
        any_fixed = bool(fixed.any())
        for _ in range(int(refine["iterations"])):
            following = weighted_neighbour_sum(current, kernel, offsets)
            current = torch.where(fixed, current, following) if any_fixed else following
        return resize_maps(current, maps.shape[2], maps.shape[3])


def refine_present_classes(image, maps, labels, valid, refine):
    present = labels.to(maps.device).gt(0)
    slots = int(present.sum(1).max())
    refined = torch.zeros(maps.shape, dtype=torch.float32, device=maps.device)
    if slots == 0:
        return refined
    order = present.float().argsort(1, descending=True).narrow(1, 0, slots)
    index = order.view(order.shape[0], slots, 1, 1).expand(-1, -1, maps.shape[2], maps.shape[3])
    gathered = maps.float().gather(1, index)
    result = refine_with_image(image, gathered, valid, refine)
    keep = present.gather(1, order).float().unsqueeze(-1).unsqueeze(-1)
    return refined.scatter_(1, index, result * keep)


def make_pseudo_labels(cam, labels, crop_box, image, config):
    pseudo = config["pseudo"]
    with torch.no_grad():
        height, width = image.shape[2], image.shape[3]
        scores = resize_maps(normalise_class_maps(cam.detach(), labels), height, width)
        if pseudo["refine"]:
            valid = None
            if crop_box is not None:
                valid = inside_crop_box(crop_box, height, width, scores.device)
            scores = refine_present_classes(image, scores, labels, valid, config["refine"])
            if pseudo["renormalise"]:
                scores = divide_by_peak(scores)
        seg_label = threshold_labels(scores, float(pseudo["high_threshold"]),
                                     float(pseudo["low_threshold"]))
        return ignore_outside_crop_box(seg_label, crop_box)


def multilabel_soft_margin_loss(logits, labels):
    z = logits.float()
    y = labels.float()
    per_class = -(y * F.logsigmoid(z) + (1.0 - y) * F.logsigmoid(-z))
    return per_class.mean(1).mean()


def masked_mean(values, mask):
    return (values * mask).sum() / mask.sum().clamp_min(1)


def segmentation_loss(logits, target, balanced):
    labels = target.long()
    per_pixel = F.cross_entropy(logits.float(), labels, ignore_index=IGNORE, reduction="none")
    valid = (labels != IGNORE).float()
    if not balanced:
        return masked_mean(per_pixel, valid)
    background = (labels == 0).float()
    foreground = valid - background
    return 0.5 * masked_mean(per_pixel, background) + 0.5 * masked_mean(per_pixel, foreground)


def affinity_consistency_term(out, labels, crop_box, image, affc):
    height, width = out["mid"].shape[2], out["mid"].shape[3]
    maps = resize_maps(normalise_class_maps(out["cam"], labels), height, width)
    valid = None
    if crop_box is not None:
        inside = inside_crop_box(crop_box, image.shape[2], image.shape[3], maps.device)
        valid = resize_maps(inside.float(), height, width).ge(0.5)
    offsets = stencil_offsets([int(d) for d in affc["dilations"]], True)
    with torch.no_grad():
        unit = F.normalize(out["mid"].detach().float(), dim=1, eps=1e-12)
        views = NeighbourViews(unit, offsets)
        similarity = [(unit * views[j]).sum(1) for j in range(len(views))]
        logits = torch.stack(similarity, 1) / float(affc["temperature"])
        affinity = neighbour_softmax(logits, valid_neighbours(valid, offsets))
        current = maps.detach().float()
        for _ in range(int(affc["steps"])):
            current = weighted_neighbour_sum(current, affinity, offsets)
    error = (maps.float() - current.detach().float()).abs()
    if valid is None:
        return error.mean()
    weight = valid.float().expand_as(error)
    return (error * weight).sum() / weight.sum().clamp_min(1)


# --------------------------------------------------------------------------------------------
# The step


def warmup_steps(warmup_iters, iterations):
    return warmup_iters if warmup_iters >= 0 else iterations // 5


def check_supported(config):
    """The baseline and the self-guided refinement + L_affc; anything else is refused."""
    problems = []
    if config["supervision"] != "image_labels":
        problems.append(f"supervision {config['supervision']}")
    if config["support"]["mode"] != "off":
        problems.append(f"support.mode {config['support']['mode']}")
    for section in ("rcm", "mam", "aamr"):
        if config[section]["enabled"]:
            problems.append(f"{section}.enabled")
    if config["selfguided"]["cam_target"]:
        problems.append("selfguided.cam_target")
    if config["pseudo"]["source"] != "cam":
        problems.append(f"pseudo.source {config['pseudo']['source']}")
    if problems:
        raise SystemExit("step_reference.py runs the baseline step (plus pseudo.refine and affc); "
                         "this config switches on: " + ", ".join(problems))


def segmentation_active(config, iteration):
    if float(config["seg"]["weight"]) <= 0:
        return False
    return iteration >= warmup_steps(int(config["seg"]["warmup_iters"]),
                                     int(config["train"]["iterations"]))


def forward_losses(net, batch, config, iteration, device, amp):
    """forwardLosses of train/step/training_step.cpp: (outputs, [(name, term)], total)."""
    image, labels, crop_box = batch["image"], batch["labels"], batch.get("crop_box")
    autocast = (torch.autocast("cuda", dtype=torch.bfloat16) if amp and device.type == "cuda"
                else contextlib.nullcontext())
    with autocast:
        with_segmentation = segmentation_active(config, iteration)
        out = net(image, with_segmentation)
        terms = []
        total = None

        def add(name, term, weight):
            nonlocal total
            terms.append((name, term))
            total = weight * term if total is None else total + weight * term

        add("cls", multilabel_soft_margin_loss(out["logits"], labels),
            float(config["cls"]["weight"]))
        if config["affc"]["enabled"]:
            add("affc", affinity_consistency_term(out, labels, crop_box, image, config["affc"]),
                float(config["affc"]["weight"]))
        if with_segmentation:
            seg_label = make_pseudo_labels(out["cam"], labels, crop_box, image, config)
            logits = resize_maps(out["seg"].float(), image.shape[2], image.shape[3])
            add("seg", segmentation_loss(logits, seg_label, bool(config["seg"]["balanced"])),
                float(config["seg"]["weight"]))
    return out, terms, total


def make_optimizer(net, train, foreach=None):
    """SGD or AdamW over the two groups. foreach None is torch's own choice (its multi-tensor
    kernels on CUDA, one parameter at a time on the CPU); False is what LibTorch's C++
    optimisers do everywhere."""
    lr = float(train["lr"])
    head_lr = lr * float(train["head_lr_scale"])
    decay = float(train["weight_decay"])
    groups = [{"params": net.backbone_parameters(), "lr": lr},
              {"params": net.head_parameters(), "lr": head_lr}]
    if train["optimizer"] == "sgd":
        return torch.optim.SGD(groups, lr=lr, momentum=float(train["momentum"]),
                               weight_decay=decay, foreach=foreach)
    return torch.optim.AdamW(groups, lr=lr, weight_decay=decay, foreach=foreach)


def learning_rate_factor(step, train):
    iterations = int(train["iterations"])
    progress = min(max(step / iterations, 0.0), 1.0)
    poly = math.pow(1.0 - progress, float(train["poly_power"]))
    warmup = int(train["warmup_iters"])
    if step >= warmup:
        return poly
    ramp = step / warmup
    factor = float(train["warmup_factor"])
    return poly * (factor + (1.0 - factor) * ramp)


def set_learning_rate(optimizer, step, train):
    """The trainer's setLearningRate: group 0 at lr, group 1 at lr · head_lr_scale."""
    factor = learning_rate_factor(step, train)
    scales = [1.0, float(train["head_lr_scale"])]
    for group, scale in zip(optimizer.param_groups, scales):
        group["lr"] = float(train["lr"]) * scale * factor


def build_network(config, classes, device, channels_last=False):
    net = WsssNetwork(config["model"], classes).to(device)
    if channels_last:
        net = net.to(memory_format=torch.channels_last)
    net.train()
    return net


# --------------------------------------------------------------------------------------------
# Configs and checkpoints


def parse_scalar(text):
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    if text in ("true", "false"):
        return text == "true"
    if text in ("", "~", "null"):
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def parse_config_yaml(text):
    """The effective config as `wsss config` prints it (two-space nested maps, scalars, flow
    lists): PyYAML's reading where it is installed, else this small reader of that format."""
    if yaml is not None:
        return yaml.safe_load(text)
    root = {}
    stack = [(-1, root)]
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip(" "))
        key, _, value = line.strip().partition(":")
        while stack[-1][0] >= indent:
            stack.pop()
        parent = stack[-1][1]
        value = value.strip()
        if not value:
            parent[key] = {}
            stack.append((indent, parent[key]))
        elif value.startswith("[") and value.endswith("]"):
            inner = value[1:-1].strip()
            parent[key] = [parse_scalar(item) for item in inner.split(",")] if inner else []
        else:
            parent[key] = parse_scalar(value)
    return root



def read_checkpoint(path):
    """A wsss checkpoint (torch::serialize::OutputArchive, a TorchScript module archive):
    returns (network state_dict, config YAML text, iteration)."""
    archive = torch.jit.load(path, map_location="cpu")
    network = archive.network
    state = {name: tensor.detach().clone() for name, tensor in network.named_parameters()}
    state.update({name: tensor.detach().clone() for name, tensor in network.named_buffers()})
    return state, str(archive.config), int(archive.iteration)


# --------------------------------------------------------------------------------------------
# check


def load_tensors(path):
    """A dict of tensors written by torch::pickle_save (its typed dict carries a type tag)."""
    with torch.serialization.safe_globals([torch.jit._pickle.restore_type_tag]):
        return dict(torch.load(path))


def max_abs_diff(a, b):
    if a.shape != b.shape:
        return float("inf")
    if a.numel() == 0:
        return 0.0
    return float((a.double() - b.double()).abs().max())


def run_check(args):
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    failed = 0
    for folder in args.dir:
        print(f"== {folder}")
        failed += check_folder(folder, args)
    return 1 if failed else 0


def check_folder(folder, args):
    """The step of one folder's checkpoint and batch against the C++ results; 1 if it differs."""
    state, config_text, iteration = read_checkpoint(os.path.join(folder, "checkpoint.pt"))
    config = parse_config_yaml(config_text)
    check_supported(config)
    batch = load_tensors(os.path.join(folder, "batch.pt"))
    cpp = load_tensors(os.path.join(folder, "cpp.pt"))
    classes = state["cam_head.classifier.weight"].shape[0]
    device = torch.device("cpu")
    net = build_network(config, classes, device)
    missing, unexpected = net.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise SystemExit(f"checkpoint names do not match the Python network: missing {missing}, "
                         f"unexpected {unexpected}")
    optimizer = make_optimizer(net, config["train"])
    set_learning_rate(optimizer, iteration, config["train"])

    out, terms, total = forward_losses(net, batch, config, iteration, device, amp=False)
    optimizer.zero_grad()
    total.backward()
    grads = {name: p.grad.detach().clone() for name, p in net.named_parameters()
             if p.grad is not None}
    optimizer.step()
    params = dict(net.named_parameters())

    rows = []  # (quantity, difference, tolerance)
    for key in sorted(cpp):
        kind, name = key.split(".", 1)
        expected = cpp[key]
        if kind == "out":
            actual = out.get(name)
            tolerance = args.tolerance
        elif kind == "loss":
            actual = total if name == "total" else dict(terms).get(name)
            tolerance = args.tolerance
        elif kind == "grad":
            actual = grads.get(name)
            # Gradients sum over every pixel and image: relative to their largest value.
            tolerance = args.tolerance * max(1.0, float(expected.abs().max()))
        elif kind == "param":
            actual = params.get(name)
            tolerance = args.param_tolerance
        else:
            continue
        if actual is None:
            rows.append((key, float("inf"), tolerance))
            continue
        rows.append((key, max_abs_diff(actual.detach(), expected), tolerance))
    cpp_terms = sorted(k.split(".", 1)[1] for k in cpp if k.startswith("loss.") and k != "loss.total")
    if sorted(name for name, _ in terms) != cpp_terms:
        rows.append((f"loss terms {[n for n, _ in terms]} vs {cpp_terms}", float("inf"), 0.0))

    print(f"step {iteration} of {config['model']['backbone']}: "
          + ", ".join(f"{name} {float(term.detach()):.6f}" for name, term in terms)
          + f", total {float(total.detach()):.6f}")
    print(f"{'quantity':48s} {'max |diff|':>12s} {'tolerance':>12s}")
    failed = 0
    for key, difference, tolerance in rows:
        bad = not difference <= tolerance
        failed += bad
        print(f"{key:48s} {difference:12.3e} {tolerance:12.3e}{'  MISMATCH' if bad else ''}")
    largest = {}
    for key, difference, _ in rows:
        kind = key.split(".", 1)[0]
        largest[kind] = max(largest.get(kind, 0.0), difference)
    print("largest |diff|: " + ", ".join(f"{kind} {value:.3e}" for kind, value in largest.items()))
    if failed:
        print(f"{failed} of {len(rows)} quantities differ beyond their tolerance")
        return 1
    print(f"all {len(rows)} quantities within tolerance")
    return 0


# --------------------------------------------------------------------------------------------
# bench


def class_count(config, override):
    if override > 0:
        return override
    data = config["data"]
    if data.get("classes"):
        return len(data["classes"])
    listed = os.path.join(str(data.get("root") or ""), "classes.txt")
    if os.path.isfile(listed):
        with open(listed) as names:
            return len([line for line in names if line.strip()])
    return 20


def effective_config(args):
    if args.config_yaml:
        with open(args.config_yaml) as text:
            return parse_config_yaml(text.read())
    if not (args.wsss and args.config):
        raise SystemExit("bench needs --config-yaml FILE, or --wsss BIN and --config FILE")
    printed = subprocess.run([args.wsss, "config", "--config", args.config] + args.overrides,
                             check=True, capture_output=True, text=True).stdout
    return parse_config_yaml(printed)


def run_bench(args):
    config = effective_config(args)
    check_supported(config)
    device = torch.device(args.device)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    # wsss bench's algorithm choice (useDeterministicAlgorithms of train/run_device.cpp):
    # cuDNN's benchmark mode off, deterministic algorithms with train.deterministic.
    deterministic = bool(config["train"].get("deterministic", False))
    torch.backends.cudnn.benchmark = False
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True)
        torch.backends.cudnn.deterministic = True
    classes = class_count(config, args.classes)
    batch_size = int(config["train"]["batch_size"])
    crop = int(config["data"]["augment"]["crop_size"])
    channels_last = args.channels_last and device.type == "cuda"
    amp = args.amp and device.type == "cuda"
    seed = int(config["seed"])

    torch.manual_seed(seed)
    net = build_network(config, classes, device, channels_last)
    foreach = {"auto": None, "on": True, "off": False}[args.foreach]
    optimizer = make_optimizer(net, config["train"], foreach)
    generator = torch.Generator().manual_seed(seed)
    image = torch.randn(batch_size, 3, crop, crop, generator=generator)
    labels = torch.zeros(batch_size, classes)
    for index in range(batch_size):
        present = torch.randperm(classes, generator=generator)[: 1 + index % min(3, classes)]
        labels[index, present] = 1
    batch = {"image": image.to(device), "labels": labels.to(device),
             "crop_box": torch.tensor([[0, 0, crop, crop]] * batch_size).to(device)}
    if channels_last:
        batch["image"] = batch["image"].contiguous(memory_format=torch.channels_last)
    # Past every warm-up, so the segmentation head and its loss are timed too.
    iteration = int(config["train"]["iterations"]) - 1

    def step():
        _, _, total = forward_losses(net, batch, config, iteration, device, amp)
        optimizer.zero_grad()
        total.backward()
        optimizer.step()

    def synchronise():
        if device.type == "cuda":
            torch.cuda.synchronize()

    for _ in range(2):
        step()
    synchronise()
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    start = time.perf_counter()
    for _ in range(args.batches):
        step()
    synchronise()
    elapsed = time.perf_counter() - start
    result = {
        "images_per_s": args.batches * batch_size / max(elapsed, 1e-9),
        "peak_mib": (torch.cuda.max_memory_allocated(device) / 2**20
                     if device.type == "cuda" else None),
        "device": str(device),
        "threads": torch.get_num_threads(),
        "amp": amp,
        "channels_last": channels_last,
        "foreach": args.foreach,
        "backbone": config["model"]["backbone"],
        "batch": batch_size,
        "crop": crop,
        "classes": classes,
        "steps": args.batches,
        "torch": torch.__version__,
        "torchvision": torchvision.__version__ if torchvision is not None else None,
    }
    peak = f", peak {result['peak_mib']:.0f} MiB" if result["peak_mib"] is not None else ""
    print(f"python eager step of {result['backbone']} on {device} ({result['threads']} threads"
          f"{', bf16 autocast' if amp else ''}{', channels_last' if channels_last else ''}"
          f"{', foreach ' + args.foreach if args.foreach != 'auto' else ''}): "
          f"batch {batch_size}, crop {crop}, {args.batches} steps: "
          f"{result['images_per_s']:.1f} images/s{peak}")
    print(json.dumps(result))
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    modes = parser.add_subparsers(dest="mode", required=True)
    check = modes.add_parser("check", help="parity with the C++ step's files in --dir")
    check.add_argument("--dir", required=True, action="append",
                       help="a folder of the C++ test's files (repeat for several)")
    check.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    check.add_argument("--tolerance", type=float, default=1e-4,
                       help="forward outputs and losses (absolute); gradients (relative to their "
                            "largest value)")
    check.add_argument("--param-tolerance", type=float, default=1e-6,
                       help="parameters after the optimiser step (absolute)")
    bench = modes.add_parser("bench", help="time the step")
    bench.add_argument("--config-yaml", help="the effective config, as `wsss config` prints it")
    bench.add_argument("--wsss", help="the wsss binary, to print the effective config of --config")
    bench.add_argument("--config", help="config file for --wsss")
    bench.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    bench.add_argument("--batches", type=int, default=20)
    bench.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    bench.add_argument("--amp", action="store_true", help="bf16 autocast (CUDA)")
    bench.add_argument("--channels-last", action="store_true", help="channels_last (CUDA)")
    bench.add_argument("--classes", type=int, default=0, help="foreground classes (0: from config)")
    bench.add_argument("--foreach", choices=["auto", "on", "off"], default="auto",
                       help="the optimiser's multi-tensor kernels: torch's choice (auto: on for "
                            "CUDA, off on the CPU), or forced; off updates one parameter at a "
                            "time, as LibTorch's C++ optimisers do")
    bench.add_argument("overrides", nargs="*", help="config overrides for --wsss (key=value)")
    args = parser.parse_args()
    sys.exit(run_check(args) if args.mode == "check" else run_bench(args))


if __name__ == "__main__":
    main()
