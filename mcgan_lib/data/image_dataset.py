"""One in-memory data source for every image task: :class:`ImageDataset`, and its pixel helpers.

One interface serves the three kinds of task of the image chapters:

- **unconditional** (``kind="unconditional"``): images only;
- **class-conditional** (``"class_conditional"``): images and labels; the training condition is the
  one-hot label (B, num_classes), as in the conditional DCGAN of MSGAN/HMGAN on CIFAR-10;
- **paired** (``"paired"``): an input image and its target (pix2pix, super-resolution, inpainting).
  The loop's :class:`~mcgan_lib.data.base.Batch` carries conditions as (B, C) rows, so the input image
  travels **flattened** to (B, C*H*W); ``condition_shape`` says how to fold it back, and the image
  networks of :mod:`mcgan_lib.nets` do that themselves (:meth:`ImageDataset.unflatten_condition`).

Pixels are float32 in [-1, 1], layout (N, C, H, W). Splits are deterministic: the papers' official
splits where a data set has them, else :meth:`ImageDataset.split` with a seeded permutation.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from mcgan_lib.data.base import Batch, DataSource
from mcgan_lib.validation import check_float, check_int

KINDS = ("unconditional", "class_conditional", "paired")


class ImageDataset(DataSource, Dataset):
    """Images (N, C, H, W) in [-1, 1], with optional ``labels`` (N,) or paired ``inputs`` (N, C', H', W').

    As a :class:`DataSource` it draws seeded batches with replacement for the training loop; as a torch
    ``Dataset`` (``len``, ``[i]``) it works with ``DataLoader`` and ``DistributedSampler`` for streaming
    evaluation. ``dataset[i]`` returns ``(image, condition)`` with the condition as the loop sees it
    (one-hot label, flattened input image, or an empty tensor for unconditional data).
    """

    def __init__(
        self,
        images: torch.Tensor,
        labels: torch.Tensor | None = None,
        num_classes: int | None = None,
        inputs: torch.Tensor | None = None,
        name: str = "images",
        class_names: list[str] | None = None,
    ):
        if not isinstance(images, torch.Tensor) or images.ndim != 4 or images.shape[0] == 0:
            raise ValueError(
                f"images must be a tensor of shape (N, C, H, W) with N >= 1, got {getattr(images, 'shape', images)!r}"
            )
        if labels is not None and inputs is not None:
            raise ValueError("pass either labels (class-conditional) or inputs (paired), not both")
        n = images.shape[0]
        self.images = images.float()
        self.labels = None
        self.inputs = None
        self.num_classes = 0
        self.class_names = class_names
        self.name = name
        self.data_shape = tuple(images.shape[1:])
        self.condition_shape: tuple[int, ...] = ()
        if labels is not None:
            labels = torch.as_tensor(labels).long()
            if labels.shape != (n,):
                raise ValueError(f"labels must have shape ({n},), got {tuple(labels.shape)}")
            num_classes = (
                int(labels.max()) + 1 if num_classes is None else check_int("num_classes", num_classes, minimum=1)
            )
            if labels.min() < 0 or labels.max() >= num_classes:
                raise ValueError(
                    f"labels must lie in [0, num_classes={num_classes}), "
                    f"got range [{int(labels.min())}, {int(labels.max())}]"
                )
            self.labels, self.num_classes = labels, num_classes
            self.kind = "class_conditional"
            self.condition_shape = (num_classes,)
        elif inputs is not None:
            if not isinstance(inputs, torch.Tensor) or inputs.ndim != 4 or inputs.shape[0] != n:
                raise ValueError(f"inputs must have shape ({n}, C, H, W), got {getattr(inputs, 'shape', inputs)!r}")
            self.inputs = inputs.float()
            self.kind = "paired"
            self.condition_shape = tuple(inputs.shape[1:])
        else:
            self.kind = "unconditional"
        self.condition_dim = int(np.prod(self.condition_shape)) if self.condition_shape else 0

    # -- torch Dataset
    def __len__(self) -> int:
        return self.images.shape[0]

    def __getitem__(self, index: int):
        index_tensor = torch.as_tensor([index])
        condition = self._conditions(index_tensor)
        return self.images[index], (torch.empty(0) if condition is None else condition[0])

    # -- DataSource
    def _conditions(self, index: torch.Tensor) -> torch.Tensor | None:
        if self.kind == "class_conditional":
            return F.one_hot(self.labels[index], self.num_classes).float()
        if self.kind == "paired":
            return self.inputs[index].reshape(len(index), -1)
        return None

    def sample_batch(self, n: int, generator: torch.Generator | None = None) -> Batch:
        n = check_int("n", n, minimum=1)
        index = torch.randint(len(self), (n,), generator=generator, device=generator.device if generator else "cpu")
        index = index.cpu()
        return Batch(self.images[index], self._conditions(index))

    def unflatten_condition(self, condition: torch.Tensor) -> torch.Tensor:
        """(B, condition_dim) -> (B, *condition_shape): the input images of a paired batch."""
        return condition.reshape(condition.shape[0], *self.condition_shape)

    def subset(self, index) -> ImageDataset:
        index = torch.as_tensor(index, dtype=torch.long)
        return ImageDataset(
            self.images[index],
            labels=None if self.labels is None else self.labels[index],
            num_classes=self.num_classes or None,
            inputs=None if self.inputs is None else self.inputs[index],
            name=self.name,
            class_names=self.class_names,
        )

    def split(self, fractions: dict[str, float] | None = None, seed: int = 0) -> dict[str, ImageDataset]:
        """Deterministic split by a permutation seeded with ``seed`` (default train 0.8 / test 0.2).

        Sizes are ``floor(fraction * N)`` for every part but the last, which takes the rest.
        """
        fractions = fractions or {"train": 0.8, "test": 0.2}
        total = sum(check_float(f"fractions[{k!r}]", v, minimum=0.0) for k, v in fractions.items())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"fractions must sum to 1, got {fractions} (sum {total})")
        order = torch.randperm(len(self), generator=torch.Generator().manual_seed(check_int("seed", seed, minimum=0)))
        parts, start, names = {}, 0, list(fractions)
        for i, key in enumerate(names):
            stop = len(self) if i == len(names) - 1 else start + int(fractions[key] * len(self))
            parts[key] = self.subset(order[start:stop])
            start = stop
        return parts

    def spec(self) -> dict:
        return {
            **super().spec(),
            "name": self.name,
            "kind": self.kind,
            "size": len(self),
            "num_classes": self.num_classes,
        }


def to_unit_range(images_uint8: np.ndarray | torch.Tensor) -> torch.Tensor:
    """uint8 (N, H, W, C) or (N, H, W) -> float (N, C, H, W) in [-1, 1]."""
    array = torch.as_tensor(np.array(images_uint8))
    if array.ndim == 3:
        array = array[..., None]
    return array.permute(0, 3, 1, 2).float().div(127.5).sub(1.0)


def resize(images: torch.Tensor, size: int | tuple[int, int]) -> torch.Tensor:
    """Area downsampling / bilinear upsampling of (N, C, H, W) images to ``size``."""
    size = (size, size) if isinstance(size, int) else tuple(size)
    if tuple(images.shape[-2:]) == size:
        return images
    mode = "area" if size[0] <= images.shape[-2] and size[1] <= images.shape[-1] else "bilinear"
    kwargs = {} if mode == "area" else {"align_corners": False}
    return F.interpolate(images, size=size, mode=mode, **kwargs).clamp(-1, 1)
