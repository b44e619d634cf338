/**
 * hams for Java: lifecycle endpoints, probes and metrics over libhams through
 * the FFM API. Run with {@code --enable-native-access=io.hams}.
 */
module io.hams {
    exports io.hams;
}
