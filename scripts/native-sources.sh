# Sourced by scripts that compile native code outside node-gyp and cmake-js (native-tests.sh, fuzz.sh): the source
# groups and ISA flags of native/sources.gypi, the one list binding.gyp and CMakeLists.txt read too.
#   sources <group>   the files of 'sk_<group>_sources', one per line
#   cflags <isa>      the flags of 'sk_<isa>_cflags'
sources() { sed -n "/'sk_$1_sources'/,/\]/p" native/sources.gypi | grep -o "'native/[^']*\.cc'" | tr -d "'"; }
cflags() { grep "'sk_$1_cflags'" native/sources.gypi | grep -o "'-[^']*'" | tr -d "'" | tr '\n' ' '; }
