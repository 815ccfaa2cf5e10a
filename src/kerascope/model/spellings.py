"""How Keras 1 spelled what Keras 2 and 3 spell differently: class names,
argument names and data-format values. One table, read by whoever compares
configs across versions (analysis) or interprets them (shapes)."""

from __future__ import annotations

# Keras 1 class names and their Keras 2/3 equivalents.
CLASS_RENAMES = {
    "Convolution1D": "Conv1D",
    "Convolution2D": "Conv2D",
    "Convolution3D": "Conv3D",
    "AtrousConvolution1D": "Conv1D",
    "AtrousConvolution2D": "Conv2D",
    "Deconvolution2D": "Conv2DTranspose",
    "SeparableConvolution2D": "SeparableConv2D",
    "Model": "Functional",
}

# Keras 1 argument names (any layer) and their Keras 2/3 equivalents.
KEY_RENAMES = {
    "nb_filter": "filters",
    "subsample": "strides",
    "subsample_length": "strides",
    "border_mode": "padding",
    "init": "kernel_initializer",
    "inner_init": "recurrent_initializer",
    "output_dim": "units",
    "W_regularizer": "kernel_regularizer",
    "b_regularizer": "bias_regularizer",
    "U_regularizer": "recurrent_regularizer",
    "W_constraint": "kernel_constraint",
    "b_constraint": "bias_constraint",
    "bias": "use_bias",
    "dim_ordering": "data_format",
    "atrous_rate": "dilation_rate",
    "pool_length": "pool_size",
    "stride": "strides",
    "filter_length": "kernel_size",
    "batch_input_shape": "batch_shape",
    "input_dtype": "dtype",
    "p": "rate",
    "dropout_W": "dropout",
    "dropout_U": "recurrent_dropout",
}

# Keras 1 `dim_ordering` values.
DATA_FORMATS = {"tf": "channels_last", "th": "channels_first"}
