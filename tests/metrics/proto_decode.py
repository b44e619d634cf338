#!/usr/bin/env python3
"""Decodes a file of length-delimited io.prometheus.client.MetricFamily messages
with Google's protobuf library and prints each as one line of sorted JSON.

The schema is built here from prometheus/client_model's metrics.proto (field
numbers and types as there; no protoc needed), so hams' own writer is checked
against an independent reader. A field the schema does not know is an error:
a wrong field number would otherwise pass as an unknown field.

    proto_decode.py FILE
"""
import json
import sys

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

try:
    from google.protobuf import unknown_fields
except ImportError:  # before protobuf 4.23: Message.UnknownFields()
    unknown_fields = None
from google.protobuf.json_format import MessageToDict

F = descriptor_pb2.FieldDescriptorProto
OPTIONAL, REPEATED = F.LABEL_OPTIONAL, F.LABEL_REPEATED
PKG = "io.prometheus.client"

# message -> [(field name, number, label, type, message or enum type name)]
MESSAGES = {
    "LabelPair": [("name", 1, OPTIONAL, F.TYPE_STRING, None), ("value", 2, OPTIONAL, F.TYPE_STRING, None)],
    "Gauge": [("value", 1, OPTIONAL, F.TYPE_DOUBLE, None)],
    "Counter": [("value", 1, OPTIONAL, F.TYPE_DOUBLE, None), ("exemplar", 2, OPTIONAL, F.TYPE_MESSAGE, "Exemplar"),
                ("created_timestamp", 3, OPTIONAL, F.TYPE_MESSAGE, "Timestamp")],
    # google.protobuf.Timestamp, declared here with the same fields.
    "Timestamp": [("seconds", 1, OPTIONAL, F.TYPE_INT64, None), ("nanos", 2, OPTIONAL, F.TYPE_INT32, None)],
    "Exemplar": [
        ("label", 1, REPEATED, F.TYPE_MESSAGE, "LabelPair"),
        ("value", 2, OPTIONAL, F.TYPE_DOUBLE, None),
        ("timestamp", 3, OPTIONAL, F.TYPE_MESSAGE, "Timestamp"),
    ],
    "Untyped": [("value", 1, OPTIONAL, F.TYPE_DOUBLE, None)],
    "Bucket": [
        ("cumulative_count", 1, OPTIONAL, F.TYPE_UINT64, None),
        ("cumulative_count_float", 4, OPTIONAL, F.TYPE_DOUBLE, None),
        ("upper_bound", 2, OPTIONAL, F.TYPE_DOUBLE, None),
        ("exemplar", 3, OPTIONAL, F.TYPE_MESSAGE, "Exemplar"),
    ],
    "Quantile": [("quantile", 1, OPTIONAL, F.TYPE_DOUBLE, None), ("value", 2, OPTIONAL, F.TYPE_DOUBLE, None)],
    "Summary": [
        ("sample_count", 1, OPTIONAL, F.TYPE_UINT64, None),
        ("sample_sum", 2, OPTIONAL, F.TYPE_DOUBLE, None),
        ("quantile", 3, REPEATED, F.TYPE_MESSAGE, "Quantile"),
    ],
    "BucketSpan": [("offset", 1, OPTIONAL, F.TYPE_SINT32, None), ("length", 2, OPTIONAL, F.TYPE_UINT32, None)],
    "Histogram": [
        ("sample_count", 1, OPTIONAL, F.TYPE_UINT64, None),
        ("sample_count_float", 4, OPTIONAL, F.TYPE_DOUBLE, None),
        ("sample_sum", 2, OPTIONAL, F.TYPE_DOUBLE, None),
        ("bucket", 3, REPEATED, F.TYPE_MESSAGE, "Bucket"),
        ("schema", 5, OPTIONAL, F.TYPE_SINT32, None),
        ("zero_threshold", 6, OPTIONAL, F.TYPE_DOUBLE, None),
        ("zero_count", 7, OPTIONAL, F.TYPE_UINT64, None),
        ("zero_count_float", 8, OPTIONAL, F.TYPE_DOUBLE, None),
        ("negative_span", 9, REPEATED, F.TYPE_MESSAGE, "BucketSpan"),
        ("negative_delta", 10, REPEATED, F.TYPE_SINT64, None),
        ("negative_count", 11, REPEATED, F.TYPE_DOUBLE, None),
        ("positive_span", 12, REPEATED, F.TYPE_MESSAGE, "BucketSpan"),
        ("positive_delta", 13, REPEATED, F.TYPE_SINT64, None),
        ("positive_count", 14, REPEATED, F.TYPE_DOUBLE, None),
        ("created_timestamp", 15, OPTIONAL, F.TYPE_MESSAGE, "Timestamp"),
        ("exemplars", 16, REPEATED, F.TYPE_MESSAGE, "Exemplar"),
    ],
    "Metric": [
        ("label", 1, REPEATED, F.TYPE_MESSAGE, "LabelPair"),
        ("gauge", 2, OPTIONAL, F.TYPE_MESSAGE, "Gauge"),
        ("counter", 3, OPTIONAL, F.TYPE_MESSAGE, "Counter"),
        ("summary", 4, OPTIONAL, F.TYPE_MESSAGE, "Summary"),
        ("untyped", 5, OPTIONAL, F.TYPE_MESSAGE, "Untyped"),
        ("histogram", 7, OPTIONAL, F.TYPE_MESSAGE, "Histogram"),
        ("timestamp_ms", 6, OPTIONAL, F.TYPE_INT64, None),
    ],
    "MetricFamily": [
        ("name", 1, OPTIONAL, F.TYPE_STRING, None),
        ("help", 2, OPTIONAL, F.TYPE_STRING, None),
        ("type", 3, OPTIONAL, F.TYPE_ENUM, "MetricType"),
        ("metric", 4, REPEATED, F.TYPE_MESSAGE, "Metric"),
        ("unit", 5, OPTIONAL, F.TYPE_STRING, None),
    ],
}
METRIC_TYPES = ["COUNTER", "GAUGE", "SUMMARY", "UNTYPED", "HISTOGRAM", "GAUGE_HISTOGRAM"]


def family_class():
    fd = descriptor_pb2.FileDescriptorProto(name="hams_metrics_test.proto", package=PKG, syntax="proto2")
    enum = fd.enum_type.add(name="MetricType")
    for number, name in enumerate(METRIC_TYPES):
        enum.value.add(name=name, number=number)
    for message, fields in MESSAGES.items():
        m = fd.message_type.add(name=message)
        for name, number, label, type_, type_name in fields:
            f = m.field.add(name=name, number=number, label=label, type=type_)
            if type_name:
                f.type_name = "." + PKG + "." + type_name
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fd)
    family = pool.FindMessageTypeByName(PKG + ".MetricFamily")
    if hasattr(message_factory, "GetMessageClass"):
        return message_factory.GetMessageClass(family)
    return message_factory.MessageFactory(pool).GetPrototype(family)  # protobuf before 4.22 (Debian 12)


def varint(data, at):
    value = shift = 0
    while True:
        b = data[at]
        at += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return value, at


def check_known(msg, path):
    unknown = unknown_fields.UnknownFieldSet(msg) if unknown_fields else msg.UnknownFields()
    if len(unknown):
        sys.exit("%s: unknown field %d" % (path, unknown[0].field_number))
    for field, value in msg.ListFields():
        if field.type == F.TYPE_MESSAGE:
            # is_repeated replaces label in protobuf 6 and later.
            repeated = field.is_repeated if hasattr(field, "is_repeated") else field.label == REPEATED
            for i, sub in enumerate(value if repeated else [value]):
                check_known(sub, "%s.%s[%d]" % (path, field.name, i))


def main():
    data = open(sys.argv[1], "rb").read()
    cls = family_class()
    at = 0
    while at < len(data):
        size, at = varint(data, at)
        if at + size > len(data):
            sys.exit("a message runs past the end of the input")
        family = cls()
        family.ParseFromString(data[at : at + size])
        at += size
        check_known(family, family.name)
        print(json.dumps(MessageToDict(family, preserving_proto_field_name=True), sort_keys=True))


main()
