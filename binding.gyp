# node-gyp front-end (npm install, prebuildify). Sources come from native/sources.gypi, shared with CMakeLists.txt.
# gyp has no per-file flags, so each ISA group is a static library with its own flags, linked into the addon.
{
  'includes': ['native/sources.gypi'],
  'target_defaults': {
    'cflags!': ['-fno-exceptions'],
    'cflags_cc!': ['-fno-exceptions', '-fno-rtti'],
    'cflags': ['-O3', '-fPIC', '-fvisibility=hidden'],
    'cflags_cc': ['-std=c++17', '-fexceptions', '-fvisibility-inlines-hidden'],
    'xcode_settings': {
      'GCC_ENABLE_CPP_EXCEPTIONS': 'YES',
      'CLANG_CXX_LANGUAGE_STANDARD': 'c++17',
      'GCC_SYMBOLS_PRIVATE_EXTERN': 'YES',
      'OTHER_CFLAGS': ['-O3'],
    },
    'msvs_settings': {'VCCLCompilerTool': {'ExceptionHandling': 1}},
    'defines': ['NAPI_VERSION=8', 'NAPI_CPP_EXCEPTIONS', 'NODE_ADDON_API_DISABLE_DEPRECATED'],
  },
  'targets': [
    {
      'target_name': 'sparsekit_kernels_avx2',
      'type': 'static_library',
      'conditions': [
        ['target_arch=="x64"', {
          'sources': ['<@(sk_avx2_sources)'],
          'cflags': ['<@(sk_avx2_cflags)'],
          'xcode_settings': {'OTHER_CFLAGS': ['<@(sk_avx2_cflags)']},
        }],
      ],
    },
    {
      'target_name': 'sparsekit_kernels_avx512',
      'type': 'static_library',
      'conditions': [
        ['target_arch=="x64"', {
          'sources': ['<@(sk_avx512_sources)'],
          'cflags': ['<@(sk_avx512_cflags)'],
          'xcode_settings': {'OTHER_CFLAGS': ['<@(sk_avx512_cflags)']},
        }],
      ],
    },
    {
      'target_name': 'sparsekit_kernels_neon',
      'type': 'static_library',
      'conditions': [
        ['target_arch=="arm64"', {'sources': ['<@(sk_neon_sources)']}],
      ],
    },
    {
      'target_name': 'sparsekit',
      'sources': ['<@(sk_core_sources)', '<@(sk_binding_sources)', '<@(sk_scalar_sources)'],
      'include_dirs': ["<!(node -p \"require('node-addon-api').include_dir\")"],
      'dependencies': ['sparsekit_kernels_avx2', 'sparsekit_kernels_avx512', 'sparsekit_kernels_neon'],
      'conditions': [
        ['OS=="linux"', {'ldflags': ['-Wl,--version-script=<(module_root_dir)/native/exports.map']}],
      ],
    },
  ],
}
