"""Side and bottom panels of the labeling window."""
