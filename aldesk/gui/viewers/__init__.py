"""Item viewers: ``image_view.ImageView`` and ``audio_view.AudioView``.

Import the module you need; importing this package loads neither (audio pulls in QtMultimedia).
"""
