"""For every file made only of Keras's own layers that Keras can load, the static report
is the `--load` report: the same layers at every depth (the sublayers Keras's classes
create included) with the same classes, the same weights by name and shape, and the
same total, trainable and non-trainable parameters.

The files are the real-world corpus's and the files this run saves, in every format
Keras writes: Keras 3 `.keras` and legacy `.h5`, tf_keras `.h5`, SavedModel and
`to_json()` (whose weights Keras initializes, and kerascope derives from the config).
"""

from __future__ import annotations

import pytest

import kerascope
from kerascope.errors import KerascopeError

from support import shape_zoo
from support.corpus import CORPUS, corpus_rows, require_corpus
from support.static_load import built_in_only, differences

# The corpus files made only of Keras's own layers whose `--load` Keras performs.
LOADABLE = [
    "h5_full/01-Ankit-kumar__ChurnModeling__model.h5",
    "h5_full/1000sAlex__Py_f4_neuron__model.h5",
    "h5_full/102757017__lstm-multi__model.h5",
    "h5_full/10raw__Exergame__model.h5",
    "h5_full/15louafi__EnglishToKatakanaSeq2Seq__model.h5",
    "h5_full/27caribou__lstm-melody-generation__model.h5",
    "h5_full/98mprice__mario-level-generator__model.keras",
    "h5_full/Abdallah4Z__Multi-Class-Prediction-of-Obesity-Risk__model.h5",
    "h5_full/Gangaraj-13__deep_learning_assignment1__multi_output_model.h5",
    "h5_full/Saketh1205__Quora-Question-Pairs-detection__bilstm_model.h5",
    "h5_full/Sprea22__LSTM_Seq2Seq_Word-Level__decoder_model.h5",
    "h5_full/Tamar-Kosowsky__Deep-Learning-with-Tensorflow__gru_model.h5",
    "h5_full/anushree1001__Comparing-Multiple-Pre-trained-Neural-network-models-on-IMDB-dataset__bigru_model.h5",
    "h5_full/guo010699__ecg_python__cnn_model.h5",
    "h5_full/robertmaxwilliams__neural-networks__combined_model.h5",
    "h5_full/xingxiaoxuan__anomaly-detection__model__multi_attention_model.h5",
    "json_config/0x1za__keras_cnn__model.json",
    "json_config/3jacksonsmith__biderectional_LSTM_pos_tag__model.json",
    "json_config/dventimiglia__CarND-Behavioral-Cloning__model.json",
    "json_config/fastmachinelearning__example-models__keras__KERAS_3layer.json",
    "json_config/fastmachinelearning__example-models__keras__jetTagger_Conv2D_Small.json",
    "json_config/teriusbin__boston-house-price-predict__attention_model.json",
    "keras_v3/2mdtln__FlowNet-ANN__out__final_model.keras",
    "keras_v3/Abdallah4Z__Multi-Class-Prediction-of-Obesity-Risk__model.keras",
    "keras_v3/AdjoaPanyin__Stock_Price_RNN__model.keras",
    "keras_v3/AlrzA2003__BinanceTrader__model.keras",
    "savedmodel/ConJones__TetrisDQN__agent_no_conv_big_delta_state+3000",
    "keras_dir/AhmedAyman77__Potato_Disease_Classification__saved_models__1",
    "keras_dir/Harsh-v69__Codeapex-Flood-Prediction-System__models",
    "keras_dir/Joy-Terer__school_predictor_model__ROOT",
    "h5_full/0KNV1__test-chatbot__model.h5",
    "h5_full/108360150-Qiuchonghao__MachineLearning_Houseprice__model.h5",
    "h5_full/41Leahcim__astronomy_pipeline__model.keras",
    "h5_full/AdamVenroy__sentiment-classifer__model.keras",
    "h5_full/PStamelias__Project-Part2__autoencoder.h5",
    "h5_full/sreeja-s-ds__CNC_mill_tool_wear_Prediction__multi_output_model.h5",
    "h5_full/zaky-fetoh__simple-Generative-adversarial-Network-GAN-__gan_model.h5",
    "json_config/0xPr0xy__keras-imdb-sentiment-classification__model.json",
    "keras_v3/13biti__SimpleChatBot__model.keras",
    "keras_v3/Adityasenthil__SudokuCVEngine__model.keras",
    "keras_dir/Abineshabee__Sing-Language-Detection__my_model",
    "keras_dir/Angana007__Home-Loan-Default-Risk-Prediction__models",
    "keras_dir/devrathore16__AI-Healthcare-Anomaly-System__models",
    "keras_dir/vanampranav__heart-stroke-prediction__best_model",
    "h5_full/AkshatP0285__NLP_Assignment_2__combined_model.h5",
    "h5_full/nakahatar111__1D_GAN__1D_gan.h5",
    "h5_full/sathyasubrahamanaya__malgan__malGAN.h5",
    "h5_full/AshayNaik97__IDS_GAN__generator.h5",
    "keras_v3/Abdulraqib20__Smart-Building-Energy-Predictor__gru_model.keras",
    "keras_v3/KeNKeNad__DIT5411-ProjectAssignment__BiLSTM_best.keras",
    "json_config/Aaronvpp__LSTM-Name-Classification__model.json",
    "h5_full/tianhaoz95__mericari__complete_model.h5",
    "h5_full/HuynhAnhDuy__carcinogenicity_predictor__bilstm_model.keras",
    "keras_v3/LucieSvc__PMD-IA_Nanotag__ae_model.keras",
    "keras_v3/Azahramirez__prediccionconTransformers__transformer.keras",
    "json_config/ArinolaDev__chatbot-api__model_architecture.json",
]

# The corpus files made only of Keras's own layers that Keras's loader refuses, and why.
UNLOADABLE = {
    "keras_v3/AidenCohen31__Fetch__model.keras": "Unrecognized keyword arguments",  # tf.keras 2.15's LSTM(time_major)
    "keras_dir/SakilAkhtarSardar__sas__ROOT": "Unrecognized keyword arguments",  # tf.keras 2.13's LSTM(time_major)
    "savedmodel/0x7a726f__MNIST_model__model2": "SavedModel file does not exist",  # saved_model.pb renamed
    "savedmodel/AbhinavTamta21__Botnet-Attack-Detection-LSTM__ROOT": "Unsuccessful TensorSliceReader",  # no variables
    "savedmodel/ChengEn-Tsai__NeuralNetworkTrainer__trained_model": "Cannot parse",  # TensorFlow.NET's metadata
    "savedmodel/7ennlabs__EggZayn__ROOT": "Unsuccessful TensorSliceReader",  # variables outside variables/
    "savedmodel/Anandkotaru2002__Sign-Language-Translation__ROOT": "Unsuccessful TensorSliceReader",  # the same
    "tfjs/1senlin__tfjs-learning__model.json": "Unable to synchronously open file",  # no Keras loader reads TF.js
    "tfjs/35C4n0r__converted_tfjs_model__model.json": "Unable to synchronously open file",
    "tfjs/Bangkit-Team-C241-PS499__ML-FraudModel__Model/model.json": "Unable to synchronously open file",
    "json_config/bexcite__behavioral-cloning__model.json": "Error when deserializing",  # Keras 1.1 merge nodes
    # tf.keras 2.13 named its Functional's module `keras.src.engine.functional`, which Keras 3 lacks.
    "keras_v3/AliElgamel9__FastNeuralStyleTransfer__model.keras": "keras.src.engine.functional cannot be imported",
}


def test_the_lists_name_every_corpus_file_of_builtin_layers():
    """LOADABLE and UNLOADABLE are, together, exactly the corpus files made only of
    Keras's own layers: none is left out, and none is in both."""
    require_corpus()
    in_scope = {
        row["file"] for row in corpus_rows() if built_in_only(kerascope.inspect(CORPUS / row["file"]))
    }
    assert not set(LOADABLE) & set(UNLOADABLE)
    assert in_scope == set(LOADABLE) | set(UNLOADABLE)


@pytest.mark.parametrize("name", LOADABLE)
def test_static_equals_load_on_the_corpus(name):
    require_corpus()
    path = CORPUS / name
    assert differences(kerascope.inspect(path), kerascope.inspect(path, load=True)) == []


@pytest.mark.parametrize("name", sorted(UNLOADABLE))
def test_keras_cannot_load_the_others(name):
    require_corpus()
    with pytest.raises(KerascopeError, match=UNLOADABLE[name]):
        kerascope.inspect(CORPUS / name, load=True)


# The zoo's models of built-in layers, in every format Keras writes them.
ZOO = ["nested", "shared", "multi_io", "recurrent", "two_dense", "three_dense"]
WRITERS = ["keras3.keras", "keras3.h5", "tf_keras.h5", "tf_keras.savedmodel", "tf_keras.json"]


@pytest.mark.parametrize(("name", "writer"), [(name, writer) for name in ZOO for writer in WRITERS])
def test_static_equals_load_on_the_zoo(zoo, name, writer):
    _, path = zoo.saved(name, writer)
    static = kerascope.inspect(path)
    assert built_in_only(static)
    assert differences(static, kerascope.inspect(path, load=True)) == []


@pytest.mark.parametrize("builder", sorted(shape_zoo.BUILDERS))
@pytest.mark.parametrize("package", ["keras3", "tf_keras"])
def test_static_equals_load_on_every_builtin_class(builder, package, request, tmp_path):
    """The shape zoo holds a model of nearly every built-in class: saved by Keras 3 as a
    `.keras` archive, by tf_keras as `.h5` and as `to_json()`."""
    keras = request.getfixturevalue(package)
    model = shape_zoo.BUILDERS[builder](keras)
    if model is None:
        assert package == "tf_keras", "only a Keras 3 class is missing from tf_keras"
        return
    paths = []
    if package == "keras3":
        model.save(tmp_path / "model.keras")
        paths.append(tmp_path / "model.keras")
    else:
        model.save(tmp_path / "model.h5")
        (tmp_path / "model.json").write_text(model.to_json())
        paths += [tmp_path / "model.h5", tmp_path / "model.json"]
    for path in paths:
        static = kerascope.inspect(path)
        assert built_in_only(static), path.name
        assert differences(static, kerascope.inspect(path, load=True)) == [], path.name
