// Boost.JSON compiled into the fuzz binary (header-only mode) so the parser is instrumented too.
#include <boost/json/src.hpp>
