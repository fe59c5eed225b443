"""Pretrained image extractor: EfficientNet-Lite0 (ImageNet) head and mid-level stage features.

Same interface as ``image_features`` minus the learned dictionary: ``prepare`` decodes one item
into a uint8 (SIDE, SIDE, 3) image, ``compute`` runs a batch through the ONNX model shipped in
``aldesk/models`` (see ``onnx_models``; it raises ``ModelUnavailable`` when the model is absent).

Preprocessing: the whole image is kept. It is scaled so its longer side is SIDE and centred on a
white square ("letterbox"), rather than centre-cropped as in ImageNet evaluation: user images
are not framed like ImageNet photos, and a crop can cut the object or the detail that tells two
classes apart; squashing keeps everything but distorts shapes. White is the background that
scans, clip-art and product shots already have, and alpha is composited on white the same way.
Measured on an 8-class clip-art set of ~1,000 images (5-fold CV, scaler + logistic regression,
best C of 0.01/0.1/1): letterbox 0.69 at sides 160-224, squash 0.66-0.68, 87.5 % centre crop
0.64-0.65; a grey (127) letterbox matched white, a horizontal-flip average did not help.

Side 192 rather than the trained 224: the same clip-art accuracy (0.695 vs 0.692) for 28 % less
compute, about 190 images/s (decode included) with two 1-thread processes on 2 free cores,
against 137 at 224 (160: ~245 images/s, 0.687).

Features (v2, 1,984-d): the pooled 1280-d head followed by the globally averaged outputs of
stages 4-7 (80 + 112 + 192 + 320). The head is tuned to ImageNet's object classes; the earlier
stages describe strokes, shapes and textures, which is what tells drawings and digits apart.
Measured as above (best C; 2,000-image MNIST subset for digits): head alone clip art 0.690,
MNIST 0.940; head + stages 4-7 0.721 and 0.962 (+ 5-7: 0.718 / 0.960; + 5-6: 0.715 / 0.957),
better for every C on both sets. Also tried and not kept: GeM (p=3) or average + max pooling of
the head (0.699-0.701 / 0.945), averaging the embedding over sides 128 or 256 with 192 (192 +
256 helps clip art a little but costs 2.8 times the compute). The stage outputs add < 1 % to the
compute: the network runs once, the extra pooling is over small maps.

Also measured and not kept (clip art, same CV at C = 1): weighting the head and the stage
features differently after standardisation (head 1 / stages 0.5, 0.7, 1.4, 2: 0.698, 0.708,
0.711, 0.701 against 0.716; head 0.7: 0.719, within the folds' noise), and cropping to the
content's bounding box before the letterbox, where the border is a uniform background (0.699);
the stages pooled otherwise (GeM p=3 0.712, max 0.700, average + standard deviation 0.703,
average + max 0.709); stages 3-7 or 2-7 instead of 4-7 (0.713 / 0.712); the ImageNet logits
or log-probabilities added (0.696 / 0.704); the content shrunk to 90 / 80 / 70 % of the square
inside a wider white margin (0.698 / 0.702 / 0.692).

Lite0 rather than a larger Lite: Lite1 and Lite2 ship in the same packaging on PyPI, but their
features transfer worse to clip art (same pipeline, 5-fold CV at C = 1: Lite0 0.716, Lite1
0.707, Lite2 0.681 at side 192; 0.698 / 0.669 at 224) for 1.2-1.4 times the compute.
"""

from __future__ import annotations

import os

import numpy as np
from PIL import Image

from aldesk.core.features import onnx_models
from aldesk.core.media.image import as_uint8, load_image, to_array

MODEL = "effnet"
SIDE = 192  # the network's input side; any multiple of 32 works with the shipped graph
BASE_ID = "image-effnet-lite0-v4"  # v4: 16/32-bit images stretched, not clipped; v3: float16
# weights; v2: head + stages 4-7; v1: head
# Graph outputs concatenated into the features, in this order, and their widths.
OUTPUTS = ("embedding", "stage4", "stage5", "stage6", "stage7")
WIDTHS = (1280, 80, 112, 192, 320)
DIM = sum(WIDTHS)
BATCH = 16
BACKGROUND = (255, 255, 255)
DECODE_SIDE = 2 * SIDE  # draft-decode bound: a 2x margin before the final antialiased resize


def prepare(item: str | os.PathLike | np.ndarray) -> np.ndarray:
    """Decode a path, or take a uint8 HxW / HxWx3 / HxWx4 array, as uint8 (SIDE, SIDE, 3).

    Raises:
        MediaError: the file cannot be decoded.
    """
    if isinstance(item, np.ndarray):
        img = Image.fromarray(as_uint8(item))
    else:
        img = load_image(item, max_side=DECODE_SIDE)
    rgb = Image.fromarray(to_array(img)).convert("RGB")  # alpha composited on white
    return np.asarray(letterbox(rgb, SIDE), dtype=np.uint8)


def letterbox(img: Image.Image, side: int) -> Image.Image:
    """``img`` scaled to fit a side×side square (aspect ratio kept), centred on white."""
    w, h = img.size
    scale = side / max(w, h)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    # Bicubic, as in the network's training; reducing_gap pre-reduces big images cheaply.
    small = img.resize(size, Image.Resampling.BICUBIC, reducing_gap=2.0)
    if size == (side, side):
        return small
    canvas = Image.new("RGB", (side, side), BACKGROUND)
    canvas.paste(small, ((side - size[0]) // 2, (side - size[1]) // 2))
    return canvas


def compute(prepared: np.ndarray | list[np.ndarray]) -> np.ndarray:
    """Features (n, DIM) float32 of prepared images, BATCH at a time, one thread: the
    ``OUTPUTS`` of the network side by side.

    Raises:
        ModelUnavailable: the model is missing or damaged.
    """
    n = len(prepared)
    out = np.empty((n, DIM), dtype=np.float32)
    if n == 0:
        return out
    sess = onnx_models.session(MODEL, threads=1)  # the app runs 2 worker processes side by side
    for start in range(0, n, BATCH):
        batch = np.stack(prepared[start : start + BATCH]).astype(np.float32)
        x = ((batch - 127.0) / 128.0).transpose(0, 3, 1, 2)  # the network's (RGB - 127) / 128
        out[start : start + len(batch)] = np.concatenate(sess.run(list(OUTPUTS), {"images": x}), 1)
    return out
