"""Write the TFLite model metadata the MediaPipe Tasks API needs to load a network.

The raw BlazePose networks carry no metadata, and the Tasks API refuses a float input
without `NormalizationOptions`. The metadata is a flatbuffer (schema
`metadata_schema.fbs`, identifier `M001`) stored as an extra buffer of the model and
named `TFLITE_METADATA` in the model's metadata list. It is built here with the
generated schema modules mediapipe ships, through the flatbuffers object API.
"""

from __future__ import annotations

from escape_home.errors import ModelError

# Input normalisation each network was trained with: (mean, std) per channel value.
# The detector expects -1..1, the landmark networks 0..1.
_NORMALISATION = {"detector": (127.5, 127.5), "landmarks": (0.0, 255.0)}
_OUTPUTS = {"detector": 2, "landmarks": 5}


def add_metadata(model: bytes, kind: str) -> bytes:
    """Return `model` with the TFLite metadata the MediaPipe Tasks API requires.

    Args:
        model: A raw `.tflite` flatbuffer (identifier `TFL3`).
        kind: "detector" or "landmarks": selects the input normalisation and the
            expected number of outputs.

    Returns:
        The model repacked with a `TFLITE_METADATA` entry (identifier `M001`) that
        describes the RGB image input with its `NormalizationOptions` and one entry
        per output tensor.
    """
    import flatbuffers

    # The generated schema modules are plain Python; importing them is the only use of
    # mediapipe here (its metadata_writers package needs a C extension 1.2.x lacks).
    from mediapipe.tasks.metadata import metadata_schema_py_generated as meta
    from mediapipe.tasks.metadata import schema_py_generated as tfl

    mean, std = _NORMALISATION[kind]
    model_t = tfl.ModelT.InitFromObj(tfl.Model.GetRootAsModel(model, 0))
    graph = model_t.subgraphs[0]
    if len(graph.outputs) != _OUTPUTS[kind] or len(graph.inputs) != 1:
        raise ModelError(
            f"Unexpected {kind} network: {len(graph.inputs)} inputs and "
            f"{len(graph.outputs)} outputs, expected 1 and {_OUTPUTS[kind]}."
        )

    norm = meta.NormalizationOptionsT()
    norm.mean, norm.std = [mean], [std]
    unit = meta.ProcessUnitT()
    unit.optionsType = meta.ProcessUnitOptions.NormalizationOptions
    unit.options = norm
    props = meta.ImagePropertiesT()
    props.colorSpace = meta.ColorSpaceType.RGB
    content = meta.ContentT()
    content.contentPropertiesType = meta.ContentProperties.ImageProperties
    content.contentProperties = props
    image_in = meta.TensorMetadataT()
    image_in.name = "image"
    image_in.content = content
    image_in.processUnits = [unit]

    subgraph = meta.SubGraphMetadataT()
    subgraph.inputTensorMetadata = [image_in]
    subgraph.outputTensorMetadata = []
    for index in graph.outputs:
        out = meta.TensorMetadataT()
        out.name = graph.tensors[index].name.decode()
        subgraph.outputTensorMetadata.append(out)
    metadata = meta.ModelMetadataT()
    metadata.name = f"pose_{kind}"
    metadata.description = "BlazePose (MediaPipe, Apache-2.0); metadata by escape-home"
    metadata.subgraphMetadata = [subgraph]

    builder = flatbuffers.Builder(1024)
    builder.Finish(metadata.Pack(builder), file_identifier=b"M001")
    metadata_bytes = bytes(builder.Output())

    # Drop any metadata the network already carried, then append ours as a new buffer.
    model_t.metadata = [
        m for m in (model_t.metadata or []) if m.name != b"TFLITE_METADATA"
    ]
    buffer = tfl.BufferT()
    buffer.data = list(metadata_bytes)
    model_t.buffers.append(buffer)
    entry = tfl.MetadataT()
    entry.name = "TFLITE_METADATA"
    entry.buffer = len(model_t.buffers) - 1
    model_t.metadata.append(entry)

    builder = flatbuffers.Builder(len(model) + len(metadata_bytes) + 4096)
    builder.Finish(model_t.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())
