"""Random image augmentation on torch tensors, as Keras' ``ImageDataGenerator`` does it.

Each image of a mini-batch gets its own random affine transform, drawn from a
:class:`torch.Generator` (never the global RNG): a rotation by
:math:`\\alpha \\sim U(-r, r)` degrees, a shift by :math:`(t_x, t_y) \\sim U(-s, s)^2`
of the width and height, and a zoom by :math:`(z_x, z_y) \\sim U(1 - z, 1 + z)^2`
(a factor above 1 shows more of the image, i.e. zooms out, as in Keras). As in
Keras, the matrix maps output coordinates to input coordinates,

.. math::

    p_\\text{in} = R(\\alpha) \\left( Z \\, p_\\text{out} + t \\right),
    \\qquad Z = \\operatorname{diag}(z_x, z_y),

in pixel units about the image centre. It is applied by bilinear sampling
(:func:`torch.nn.functional.affine_grid` and :func:`~torch.nn.functional.grid_sample`)
with zeros outside the image (Keras' default fills with the nearest edge pixel; zero
is the background of MNIST-like images). A horizontal flip, with probability 1/2 per
image, is an exact reversal of the columns, applied after the affine transform. With
every strength 0 the batch is returned unchanged.

Example
-------
>>> import torch
>>> augment = ImageAugmentation((28, 28), rotation=10, shift=0.1, zoom=0.1)
>>> batch = torch.rand(16, 784)
>>> augment(batch, torch.Generator().manual_seed(0)).shape
torch.Size([16, 784])
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real

import torch
from torch import Tensor
from torch.nn import functional

__all__ = ["ImageAugmentation", "affine_matrices", "augment_images", "warp_images"]


@dataclass(frozen=True)
class ImageAugmentation:
    """Augments mini-batches of flattened images; the ``augment`` of the training loop.

    Parameters
    ----------
    image_shape : tuple of int
        ``(H, W)`` or ``(C, H, W)`` of the images the rows flatten (C order).
    rotation : float
        Largest rotation, in degrees (Keras' ``rotation_range``).
    shift : float
        Largest shift as a fraction of the width and of the height, in [0, 1)
        (Keras' ``width_shift_range`` = ``height_shift_range``).
    zoom : float
        Zoom factors are drawn from [1 - zoom, 1 + zoom], zoom in [0, 1) (Keras'
        ``zoom_range``).
    horizontal_flip : bool
        Flip each image left-right with probability 1/2.
    """

    image_shape: tuple[int, ...]
    rotation: float = 0.0
    shift: float = 0.0
    zoom: float = 0.0
    horizontal_flip: bool = False

    def __post_init__(self) -> None:
        shape = self.image_shape
        if not isinstance(shape, (tuple, list)) or len(shape) not in (2, 3):
            raise ValueError(f"expected image_shape (H, W) or (C, H, W), got {shape!r}")
        for size in shape:
            if isinstance(size, bool) or not isinstance(size, Integral) or size < 1:
                raise ValueError(f"expected image_shape of positive ints, got {shape!r}")
        _check_strengths(self.rotation, self.shift, self.zoom, self.horizontal_flip)

    @property
    def is_identity(self) -> bool:
        """True when every strength is 0, so batches pass through unchanged."""
        return (self.rotation, self.shift, self.zoom, self.horizontal_flip) == (0, 0, 0, False)

    def __call__(self, batch: Tensor, generator: torch.Generator) -> Tensor:
        """Augment ``batch`` ``[n, prod(image_shape)]``; returns the same shape and dtype."""
        size = math.prod(self.image_shape)
        if batch.ndim != 2 or batch.shape[1] != size:
            raise ValueError(
                f"expected a batch of flattened {tuple(self.image_shape)} images, shape "
                f"(n, {size}), got {tuple(batch.shape)}"
            )
        channels = 1 if len(self.image_shape) == 2 else self.image_shape[0]
        height, width = self.image_shape[-2:]
        images = batch.reshape(len(batch), channels, height, width)
        augmented = augment_images(
            images,
            generator,
            rotation=self.rotation,
            shift=self.shift,
            zoom=self.zoom,
            horizontal_flip=self.horizontal_flip,
        )
        return augmented.reshape(batch.shape)


def augment_images(
    images: Tensor,
    generator: torch.Generator,
    *,
    rotation: float = 0.0,
    shift: float = 0.0,
    zoom: float = 0.0,
    horizontal_flip: bool = False,
) -> Tensor:
    """Randomly rotate, shift, zoom and flip each image of ``[n, C, H, W]``.

    The parameters are those of :class:`ImageAugmentation`. The random numbers are drawn
    on the CPU from ``generator`` (5 uniforms per image for the affine transform when
    any of rotation, shift or zoom is non-zero, then 1 per image for the flip), so the
    same generator state gives the same batch on any device.
    """
    _check_strengths(rotation, shift, zoom, horizontal_flip)
    if images.ndim != 4:
        raise ValueError(f"expected images of shape (n, C, H, W), got {tuple(images.shape)}")
    n, _, height, width = images.shape
    result = images
    if rotation or shift or zoom:
        uniform = 2 * torch.rand(n, 5, generator=generator, dtype=torch.float64) - 1  # U(-1, 1)
        theta = affine_matrices(
            angles=uniform[:, 0] * rotation,
            shifts=uniform[:, 1:3] * shift,
            zooms=1 + uniform[:, 3:5] * zoom,
            height=height,
            width=width,
        )
        result = warp_images(images, theta)
    if horizontal_flip:
        flip = (torch.rand(n, generator=generator) < 0.5).to(images.device)
        result = torch.where(flip[:, None, None, None], result.flip(-1), result)
    return result


def warp_images(images: Tensor, theta: Tensor) -> Tensor:
    """Resample ``[n, C, H, W]`` images through ``[n, 2, 3]`` output-to-input affine maps.

    Bilinear interpolation in normalised coordinates (``align_corners=False``: -1 and 1
    are the outer edges of the border pixels), zeros outside the image.
    """
    theta = theta.to(device=images.device, dtype=images.dtype)
    grid = functional.affine_grid(theta, list(images.shape), align_corners=False)
    return functional.grid_sample(
        images, grid, mode="bilinear", padding_mode="zeros", align_corners=False
    )


def affine_matrices(
    angles: Tensor, shifts: Tensor, zooms: Tensor, *, height: int, width: int
) -> Tensor:
    """``[n, 2, 3]`` matrices for :func:`~torch.nn.functional.affine_grid` (output -> input).

    Parameters
    ----------
    angles : Tensor, shape (n,)
        Rotations in degrees.
    shifts : Tensor, shape (n, 2)
        ``(t_x, t_y)`` as fractions of the width and height.
    zooms : Tensor, shape (n, 2)
        ``(z_x, z_y)``; 1 is no zoom.
    height, width : int
        Image size in pixels; the rotation is a true rotation in pixel units.

    Examples
    --------
    >>> import torch
    >>> one = torch.ones(1)
    >>> affine_matrices(0 * one, torch.zeros(1, 2), torch.ones(1, 2), height=4, width=4)
    tensor([[[1., 0., 0.],
             [0., 1., 0.]]], dtype=torch.float64)
    """
    radians = torch.as_tensor(angles, dtype=torch.float64) * (math.pi / 180)
    cos, sin = torch.cos(radians), torch.sin(radians)
    # Normalised coordinates run over [-1, 1] across W (x) and H (y): a rotation in
    # pixels is D R D^-1 there, with D = diag(2 / W, 2 / H).
    rotation = torch.stack(
        [
            torch.stack([cos, -sin * (height / width)], dim=-1),
            torch.stack([sin * (width / height), cos], dim=-1),
        ],
        dim=-2,
    )
    zoom = torch.diag_embed(torch.as_tensor(zooms, dtype=torch.float64))
    translation = 2 * torch.as_tensor(shifts, dtype=torch.float64)  # fraction -> [-1, 1] units
    linear = rotation @ zoom
    offset = (rotation @ translation[:, :, None])[:, :, 0]
    return torch.cat([linear, offset[:, :, None]], dim=2)


def _check_strengths(
    rotation: object, shift: object, zoom: object, horizontal_flip: object
) -> None:
    for name, value, high in (("rotation", rotation, 180), ("shift", shift, 1), ("zoom", zoom, 1)):
        if isinstance(value, bool) or not isinstance(value, Real) or not 0 <= value < high:
            raise ValueError(f"expected {name} in [0, {high}), got {value!r}")
    if not isinstance(horizontal_flip, bool):
        raise ValueError(f"expected horizontal_flip True or False, got {horizontal_flip!r}")
