# The native kernels as a Node-API addon (kernels/native). Files that need an
# instruction set beyond the architecture's baseline are built in their own static
# library with that library's flags, so one binary runs on any CPU of its architecture
# and kernel-table.c chooses at run time. The file lists live in
# kernels/native/sources.json, shared with the C test driver and scripts/test-arm.
{
  'target_defaults': {
    'include_dirs': ['kernels/native/src'],
    'cflags': ['-fPIC', '-fvisibility=hidden'],
    'cflags_c': ['-std=c11', '-O2', '-D_GNU_SOURCE', '-fwrapv', '-ffp-contract=off', '-Wall', '-Wextra'],
    'cflags!': ['-O3'],
  },
  'targets': [
    {
      'target_name': 'edge_kernels',
      'sources': [
        'kernels/native/src/binding.c',
        '<!@(node kernels/native/sources.cjs common kernels/native/)',
      ],
      'libraries': ['-lpthread'],
      'conditions': [
        ['target_arch=="x64"', {'dependencies': ['edge_kernels_x64_avx2', 'edge_kernels_x64_avx512vnni',
                                                 'edge_kernels_x64_amx']}],
        ['target_arch=="arm64"', {'dependencies': ['edge_kernels_arm64_neon', 'edge_kernels_arm64_neondot']}],
        ['target_arch=="arm"', {'dependencies': ['edge_kernels_arm_neon']}],
      ],
    },
  ],
  'conditions': [
    ['target_arch=="x64"', {
      'targets': [
        {
          'target_name': 'edge_kernels_x64_avx2',
          'type': 'static_library',
          'sources': ['<!@(node kernels/native/sources.cjs files x64 avx2 kernels/native/)'],
          'cflags': ['<!@(node kernels/native/sources.cjs flags x64 avx2)'],
        },
        {
          'target_name': 'edge_kernels_x64_avx512vnni',
          'type': 'static_library',
          'sources': ['<!@(node kernels/native/sources.cjs files x64 avx512vnni kernels/native/)'],
          'cflags': ['<!@(node kernels/native/sources.cjs flags x64 avx512vnni)'],
        },
        {
          'target_name': 'edge_kernels_x64_amx',
          'type': 'static_library',
          'sources': ['<!@(node kernels/native/sources.cjs files x64 amx kernels/native/)'],
          'cflags': ['<!@(node kernels/native/sources.cjs flags x64 amx)'],
        },
      ],
    }],
    ['target_arch=="arm64"', {
      'targets': [
        {
          'target_name': 'edge_kernels_arm64_neon',
          'type': 'static_library',
          'sources': ['<!@(node kernels/native/sources.cjs files arm64 neon kernels/native/)'],
        },
        {
          'target_name': 'edge_kernels_arm64_neondot',
          'type': 'static_library',
          'sources': ['<!@(node kernels/native/sources.cjs files arm64 neondot kernels/native/)'],
          'cflags': ['<!@(node kernels/native/sources.cjs flags arm64 neondot)'],
        },
      ],
    }],
    ['target_arch=="arm"', {
      'targets': [
        {
          'target_name': 'edge_kernels_arm_neon',
          'type': 'static_library',
          'sources': ['<!@(node kernels/native/sources.cjs files arm neon kernels/native/)'],
          'cflags': ['<!@(node kernels/native/sources.cjs flags arm neon)'],
        },
      ],
    }],
  ],
}
