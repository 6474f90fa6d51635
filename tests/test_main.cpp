// Catch2 main for every vdf test executable.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
