"""A KerasHub preset holding every file `from_preset` deserializes, saved by KerasHub.

A task (`task.json`), its backbone (`config.json`), its preprocessor and tokenizer
(`preprocessor.json`, `tokenizer.json`, the vocabulary in `assets/`), and an image,
an audio and a video converter (`image_converter.json`, `audio_converter.json`,
`video_converter.json`), each written by the class's own `save_to_preset`.
"""

from __future__ import annotations

from pathlib import Path

from support.model_zoo import tiny_bert_backbone

VOCABULARY = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "quick", "brown", "fox", "jumps"]
# Every JSON file of a preset that KerasHub's loaders pass to `deserialize_keras_object`
# (keras_hub/src/utils/preset_utils.py: `load_backbone`, `load_task`, `load_preprocessor`,
# `load_tokenizer`, `load_image_converter`, `load_audio_converter`, `load_video_converter`).
DESERIALIZED = (
    "config.json",
    "task.json",
    "preprocessor.json",
    "tokenizer.json",
    "image_converter.json",
    "audio_converter.json",
    "video_converter.json",
)


def save_full_preset(folder: Path, sharded: bool = False) -> Path:
    """A BERT classifier with its preprocessor and tokenizer, and three converters,
    saved by KerasHub into `folder`; with `sharded`, the backbone's weights in shards
    of one variable's size (`model.weights.json`, as KerasHub saves a large backbone)."""
    import keras_hub

    tokenizer = keras_hub.models.BertTokenizer(vocabulary=VOCABULARY)
    preprocessor = keras_hub.models.BertTextClassifierPreprocessor(tokenizer, sequence_length=8)
    backbone = tiny_bert_backbone(vocabulary_size=len(VOCABULARY))
    task = keras_hub.models.BertTextClassifier(backbone, num_classes=3, preprocessor=preprocessor)
    task.save_to_preset(folder)
    if sharded:
        (folder / "model.weights.h5").unlink()
        largest = max(int(variable.numpy().nbytes) for variable in backbone.weights)
        backbone.save_weights(folder / "model.weights.json", max_shard_size=largest / 1024**3)
    keras_hub.layers.ImageConverter(image_size=(8, 8)).save_to_preset(folder)
    keras_hub.layers.AudioConverter().save_to_preset(folder)
    keras_hub.layers.VideoConverter().save_to_preset(folder)
    return folder
