#!/usr/bin/env python3
"""The PyTorch peer of `./dev bench`: the same residual attention network, built from the same preset
JSON, timed in rounds that the Java harness interleaves with its own (one line per round on stdout).

Not part of the product: a yardstick. It needs Debian's python3-torch (apt-get install python3-torch),
runs on /usr/bin/python3, uses oneDNN with channels-last tensors and the thread count it is given, and
times its own dense 1024^3 matmul each round so its rates are fractions of the same machine's matmul.

Protocol (stdin/stdout, one JSON object per line):
  -> {"ready": true, "torch": "...", "flops": {...}, "configs": [...]}     after building and warming up
  <- round                                                               run one round
  -> {"round": {"matmul": ms, "forward/1": ms, ...}}                      median-free: each ms is a mean
  <- quit
"""
import argparse
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def conv(in_c, out_c, k, stride):
    # TF's SAME padding gives the same output sizes here (odd kernels; even sizes for stride 2).
    return nn.Conv2d(in_c, out_c, k, stride=stride, padding=k // 2, bias=False)


class Unit(nn.Module):
    """Pre-activation bottleneck unit, as model-graph's ResidualUnit."""

    def __init__(self, in_c, out_c, stride, eps, momentum):
        super().__init__()
        b = out_c // 4
        bn = lambda c: nn.BatchNorm2d(c, eps=eps, momentum=momentum)
        self.bn1, self.conv1 = bn(in_c), conv(in_c, b, 1, 1)
        self.bn2, self.conv2 = bn(b), conv(b, b, 3, stride)
        self.bn3, self.conv3 = bn(b), conv(b, out_c, 1, 1)
        self.shortcut = conv(in_c, out_c, 1, stride) if (in_c != out_c or stride != 1) else None

    def forward(self, x):
        pre = F.relu(self.bn1(x))
        y = self.conv1(pre)
        y = self.conv2(F.relu(self.bn2(y)))
        y = self.conv3(F.relu(self.bn3(y)))
        return y + (self.shortcut(pre) if self.shortcut is not None else x)


def units(count, c, eps, momentum):
    return nn.Sequential(*[Unit(c, c, 1, eps, momentum) for _ in range(count)])


class Hourglass(nn.Module):
    def __init__(self, c, r, depth, eps, momentum):
        super().__init__()
        self.down = units(r, c, eps, momentum)
        self.skip = Unit(c, c, 1, eps, momentum) if depth > 1 else None
        self.deeper = Hourglass(c, r, depth - 1, eps, momentum) if depth > 1 else None
        self.up = units(r, c, eps, momentum)

    def forward(self, x):
        y = self.down(F.max_pool2d(x, 3, 2, 1))
        if self.deeper is not None:
            y = self.deeper(y) + self.skip(y)
        y = self.up(y)
        return F.interpolate(y, size=x.shape[-2:], mode="bilinear", align_corners=False)


class Attention(nn.Module):
    """Wang et al.'s attention module, as model-graph's AttentionModule: (1 + M) * T."""

    def __init__(self, c, spec, eps, momentum):
        super().__init__()
        self.pre = units(spec["preUnits"], c, eps, momentum)
        self.trunk = units(spec["trunkUnits"], c, eps, momentum)
        self.hourglass = Hourglass(c, spec["maskUnits"], spec["maskDepth"], eps, momentum)
        self.bn_out1, self.conv_out1 = nn.BatchNorm2d(c, eps=eps, momentum=momentum), conv(c, c, 1, 1)
        self.bn_out2, self.conv_out2 = nn.BatchNorm2d(c, eps=eps, momentum=momentum), conv(c, c, 1, 1)
        self.post = units(spec["preUnits"], c, eps, momentum)

    def forward(self, x):
        x = self.pre(x)
        trunk = self.trunk(x)
        m = self.hourglass(x) + trunk
        m = self.conv_out1(F.relu(self.bn_out1(m)))
        m = self.conv_out2(F.relu(self.bn_out2(m)))
        return self.post((1 + torch.sigmoid(m)) * trunk)


class Network(nn.Module):
    def __init__(self, spec):
        super().__init__()
        eps, momentum = spec["batchNormEpsilon"], 1 - spec["batchNormMomentum"]
        stem = spec["stem"]
        self.stem_conv = conv(spec["inputChannels"], stem["filters"], stem["kernelSize"], stem["stride"])
        self.stem_bn = nn.BatchNorm2d(stem["filters"], eps=eps, momentum=momentum)
        self.stem_pool = stem.get("maxPool", False)
        self.input_pool = stem.get("inputPool", 1)
        blocks, c = [], stem["filters"]
        for stage in spec["stages"]:
            for u in range(stage["residualUnits"]):
                blocks.append(Unit(c, stage["outChannels"], stage["stride"] if u == 0 else 1, eps, momentum))
                c = stage["outChannels"]
            for _ in range(stage["attentionModules"]):
                blocks.append(Attention(c, stage["attention"], eps, momentum))
        self.blocks = nn.Sequential(*blocks)
        self.final_bn = nn.BatchNorm2d(c, eps=eps, momentum=momentum)
        self.dropout = nn.Dropout(spec["dropout"])
        self.dense = nn.Linear(c, spec["numClasses"])

    def features(self, images):
        if self.input_pool > 1:
            images = F.avg_pool2d(images, self.input_pool)
        x = F.relu(self.stem_bn(self.stem_conv(images)))
        if self.stem_pool:
            x = F.max_pool2d(x, 3, 2, 1)
        return F.relu(self.final_bn(self.blocks(x)))

    def forward(self, images):
        return self.dense(self.dropout(self.features(images).mean(dim=(2, 3))))


class ChannelsLast(nn.Module):
    """For the TorchScript export: callers (DJL) hand over NCHW tensors; oneDNN runs best on NHWC."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, images):
        return self.net(images.contiguous(memory_format=torch.channels_last))


def count_flops(model, shape):
    """2 x multiply-adds of convolutions and the dense layer, as NetworkCost counts them."""
    total = [0]

    def hook(module, inputs, output):
        if isinstance(module, nn.Conv2d):
            k = module.kernel_size[0] * module.kernel_size[1] * module.in_channels // module.groups
            total[0] += 2 * output.numel() * k
        elif isinstance(module, nn.Linear):
            total[0] += 2 * module.in_features * module.out_features * output.shape[0]

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    with torch.inference_mode():
        model(torch.zeros(shape).to(memory_format=torch.channels_last))
    for h in handles:
        h.remove()
    return total[0]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--preset", required=True, help="the preset JSON model-graph builds from")
    parser.add_argument("--threads", type=int, default=0, help="intra-op threads (0: the machine's cores)")
    parser.add_argument("--export", help="write the network as TorchScript to this file (for the libtorch peer) and exit")
    args = parser.parse_args()
    with open(args.preset) as f:
        spec = json.load(f)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(spec.get("seed", 42))
    h, w, c = spec["inputHeight"], spec["inputWidth"], spec["inputChannels"]

    model = Network(spec).to(memory_format=torch.channels_last)
    model.eval()
    if args.export:
        # Two files: the trainable network, and a frozen one for inference (batch norms that follow a
        # convolution folded into it, as TensorFlow's grappler fuses them).
        scripted = torch.jit.script(ChannelsLast(model).eval())
        scripted.save(args.export)
        frozen_file = args.export[:-3] + "-frozen.pt" if args.export.endswith(".pt") else args.export + "-frozen"
        torch.jit.freeze(scripted).save(frozen_file)
        print(json.dumps({"exported": args.export, "frozen": frozen_file,
                          "forward_flops": count_flops(model, (1, c, h, w))}))
        return
    flops = count_flops(model, (1, c, h, w))
    frozen = torch.jit.freeze(torch.jit.script(Network(spec).to(memory_format=torch.channels_last).eval()))
    trained = Network(spec).to(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(trained.parameters(), lr=1e-4, weight_decay=spec.get("weightDecay", 0.0))
    a = torch.randn(1024, 1024)
    b = torch.randn(1024, 1024)

    def images(n):
        return torch.rand(n, c, h, w).to(memory_format=torch.channels_last)

    inputs = {1: images(1), 8: images(8)}
    labels = torch.tensor([i % 2 for i in range(8)])

    def forward(net, n):
        def run():
            with torch.inference_mode():
                net(inputs[n])
        return run

    def train_step():
        trained.train()
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(trained(inputs[8]), labels)
        loss.backward()
        optimizer.step()

    configs = {
        "matmul": (lambda: torch.mm(a, b), 5, 2.0 * 1024 ** 3),
        "forward/1": (forward(model, 1), 20, flops),
        "forward/8": (forward(model, 8), 5, 8 * flops),
        "forward torchscript-frozen/1": (forward(frozen, 1), 20, flops),
        "forward torchscript-frozen/8": (forward(frozen, 8), 5, 8 * flops),
        "train step/8": (train_step, 3, 3 * 8 * flops),
    }
    for run, _, _ in configs.values():
        for _ in range(3):
            run()
    print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads(),
                      "onednn": torch.backends.mkldnn.is_available(), "forward_flops": flops,
                      "flops": {name: f for name, (_, _, f) in configs.items()}}), flush=True)
    for line in sys.stdin:
        if line.strip() != "round":
            break
        times = {}
        for name, (run, reps, _) in configs.items():
            start = time.perf_counter()
            for _ in range(reps):
                run()
            times[name] = (time.perf_counter() - start) * 1000 / reps
        print(json.dumps({"round": times}), flush=True)


if __name__ == "__main__":
    main()
