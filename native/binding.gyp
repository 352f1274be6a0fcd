{
  "targets": [
    {
      "target_name": "bpfkit",
      "sources": ["bpfkit.c"],
      "cflags": ["-Wall", "-Wextra", "-Wno-unused-parameter", "-O2"]
    }
  ]
}
