"""aldesk: an offline active-learning labeler for folders of images and audio clips."""

__version__ = "0.1.0"
