#!/usr/bin/python3
"""pass_models.py - small networks that exercise onnx2c's graph passes, for
the whole-model tests (models/export_torchvision.py --model NAME exports them
like the torchvision ones: seeded weights, calibrated BatchNorm):

  preact_resnet   pre-activation ResNet (v2): BN -> ReLU -> Conv, so the
                  BatchNormalization cannot fold into a preceding conv and
                  becomes a fused scale-shift-ReLU kernel
  incres          Inception-ResNet blocks: concat of branches, a linear 1x1
                  conv, and a scaled residual x + 0.17 * branch (the scale
                  folds into the conv, the add into its epilogue)
  se_resnet       squeeze-excitation blocks: GlobalAveragePool -> 1x1 conv ->
                  ReLU -> 1x1 conv -> Sigmoid -> channel-wise Mul
  pool_branch     Inception's pool branch, AveragePool -> 1x1 conv to fewer
                  channels (the conv runs first and the pool after it): 3x3
                  with and without count_include_pad, 5x5 without, a conv
                  with a bias and no activation
  mbconv          MobileNet/EfficientNet inverted residual blocks: 1x1
                  expansion, depthwise 3x3 and 5x5 (stride 1 and 2, channel
                  counts that are not multiples of 16), squeeze-excitation,
                  SiLU and HardSwish (x * sigmoid(x), x * hardsigmoid(x)
                  before opset 14: the swish pass folds them into the convs)

Each has its classifier in `fc`, like torchvision's ResNets (export_torchvision.py
checks the logits against its bias).
"""
import torch
import torch.nn as nn


def conv_bn(cin, cout, k, stride=1):
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


class PreActBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.short = None if stride == 1 and cin == cout else nn.Conv2d(cin, cout, 1, stride, bias=False)

    def forward(self, x):
        o = torch.relu(self.bn1(x))
        s = x if self.short is None else self.short(o)
        o = self.conv1(o)
        o = self.conv2(torch.relu(self.bn2(o)))
        return o + s


class PreActResNet(nn.Module):
    def __init__(self, classes=100):
        super().__init__()
        self.stem = nn.Conv2d(3, 32, 3, 1, 1, bias=False)
        self.layers = nn.Sequential(PreActBlock(32, 32, 1), PreActBlock(32, 64, 2), PreActBlock(64, 64, 1),
                                    PreActBlock(64, 128, 2))
        self.bn = nn.BatchNorm2d(128)
        self.fc = nn.Linear(128, classes)

    def forward(self, x):
        x = torch.relu(self.bn(self.layers(self.stem(x))))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


class IncResBlock(nn.Module):
    def __init__(self, c, scale=0.17):
        super().__init__()
        self.b0 = conv_bn(c, 16, 1)
        self.b1 = nn.Sequential(conv_bn(c, 16, 1), conv_bn(16, 16, 3))
        self.b2 = nn.Sequential(conv_bn(c, 16, 1), conv_bn(16, 24, 3), conv_bn(24, 32, 3))
        self.up = nn.Conv2d(64, c, 1)  # linear: no BN, no activation
        self.scale = scale

    def forward(self, x):
        b = torch.cat([self.b0(x), self.b1(x), self.b2(x)], 1)
        return torch.relu(x + self.scale * self.up(b))


class IncRes(nn.Module):
    def __init__(self, classes=100):
        super().__init__()
        self.stem = nn.Sequential(conv_bn(3, 32, 3, 2), conv_bn(32, 64, 3))
        self.blocks = nn.Sequential(IncResBlock(64), IncResBlock(64), IncResBlock(64))
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


class SEBlock(nn.Module):
    def __init__(self, c, r=4):
        super().__init__()
        self.conv1 = conv_bn(c, c, 3)
        self.conv2 = nn.Sequential(nn.Conv2d(c, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c))
        self.fc1 = nn.Conv2d(c, c // r, 1)
        self.fc2 = nn.Conv2d(c // r, c, 1)

    def forward(self, x):
        o = self.conv2(self.conv1(x))
        s = torch.sigmoid(self.fc2(torch.relu(self.fc1(nn.functional.adaptive_avg_pool2d(o, 1)))))
        return torch.relu(o * s + x)


class SEResNet(nn.Module):
    def __init__(self, classes=100):
        super().__init__()
        self.stem = conv_bn(3, 48, 3, 2)
        self.blocks = nn.Sequential(SEBlock(48), SEBlock(48))
        self.fc = nn.Linear(48, classes)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


class PoolBranchBlock(nn.Module):
    def __init__(self, c, k, include_pad, act=True):
        super().__init__()
        self.b0 = conv_bn(c, 16, 1)
        self.pool = nn.AvgPool2d(k, 1, k // 2, count_include_pad=include_pad)
        self.bp = conv_bn(c, 16, 1) if act else nn.Conv2d(c, 16, 1)

    def forward(self, x):
        return torch.cat([self.b0(x), self.bp(self.pool(x))], 1)


class PoolBranch(nn.Module):
    def __init__(self, classes=100):
        super().__init__()
        self.stem = conv_bn(3, 48, 3, 2)
        self.blocks = nn.Sequential(PoolBranchBlock(48, 3, True), conv_bn(32, 48, 3),
                                    PoolBranchBlock(48, 3, False), conv_bn(32, 40, 3, 2),
                                    PoolBranchBlock(40, 5, False, act=False))
        self.fc = nn.Linear(32, classes)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


class MBConv(nn.Module):
    def __init__(self, cin, cout, k, stride, expand, act, se=True):
        super().__init__()
        mid = cin * expand
        self.expand = nn.Sequential(nn.Conv2d(cin, mid, 1, bias=False), nn.BatchNorm2d(mid), act())
        self.dw = nn.Sequential(nn.Conv2d(mid, mid, k, stride, k // 2, groups=mid, bias=False),
                                nn.BatchNorm2d(mid), act())
        self.se = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(mid, mid // 4, 1), act(),
                                nn.Conv2d(mid // 4, mid, 1), nn.Sigmoid()) if se else None
        self.project = nn.Sequential(nn.Conv2d(mid, cout, 1, bias=False), nn.BatchNorm2d(cout))
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        o = self.dw(self.expand(x))
        if self.se is not None:
            o = o * self.se(o)
        o = self.project(o)
        return o + x if self.residual else o


class MBConvNet(nn.Module):
    def __init__(self, classes=100):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 24, 3, 2, 1, bias=False), nn.BatchNorm2d(24), nn.SiLU())
        self.blocks = nn.Sequential(MBConv(24, 24, 3, 1, 4, nn.SiLU), MBConv(24, 40, 5, 2, 4, nn.SiLU),
                                    MBConv(40, 40, 5, 1, 3, nn.Hardswish, se=False),
                                    MBConv(40, 56, 3, 2, 6, nn.Hardswish))
        self.fc = nn.Linear(56, classes)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


# name: (constructor, input size)
PASS_MODELS = {
    "preact_resnet": (PreActResNet, 64),
    "incres": (IncRes, 64),
    "se_resnet": (SEResNet, 64),
    "pool_branch": (PoolBranch, 58),
    "mbconv": (MBConvNet, 64),
}
