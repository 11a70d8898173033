"""The catalogs: lookups, the published figures they hold, provenance, and user catalog folders."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sizing.catalog import (
    CATALOG_PATH_ENV,
    Catalog,
    CatalogError,
    UnknownEntryError,
    default_catalog,
    load_catalog,
    precision_supported,
)

MIB = 2**20
GIB = 2**30
ISO_DATE = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog()


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def line_of(path: Path, marker: str) -> int:
    """1-based number of the first line of ``path`` containing ``marker``."""
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if marker in line:
            return number
    raise AssertionError(f"{marker!r} not in {path}")


# --- lookups ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("section", "name", "expected_id"),
    [
        ("model", "llama-3.1-70b", "llama-3.1-70b"),
        ("model", "Llama-3.1-70B-Instruct", "llama-3.1-70b"),
        ("model", "meta-llama/Meta-Llama-3.1-70B-Instruct", "llama-3.1-70b"),
        ("model", "LLAMA-3.1-70B_INSTRUCT", "llama-3.1-70b"),
        ("model", "phi-3-mini", "phi-3-mini-4k"),
        ("gpu", "h100", "h100-sxm"),
        ("gpu", "a100-80gb", "a100-80gb-sxm"),
        ("gpu", "h200", "h200-sxm"),
        ("precision", "FP8", "fp8"),
        ("vm_sku", "standard_nd96isr_h100_v5", "Standard_ND96isr_H100_v5"),
        ("region", "swedencentral", "swedencentral"),
        ("region", "Sweden Central", "swedencentral"),
    ],
    ids=lambda value: str(value),
)
def test_lookup_by_id_alias_and_any_case(cat, section, name, expected_id):
    entry = getattr(cat, section)(name)
    assert (getattr(entry, "id", None) or entry.name) == expected_id


# The names the calibration benchmarks use must all resolve.
@pytest.mark.parametrize(
    ("section", "name", "expected_id"),
    [
        ("gpu", "H200-141GB-SXM", "h200-sxm"),
        ("gpu", "H100-80GB-SXM", "h100-sxm"),
        ("gpu", "A100-80GB-SXM", "a100-80gb-sxm"),
        ("gpu", "L40S-48GB", "l40s"),
        ("gpu", "L40-48GB", "l40"),
        ("gpu", "GH200-120GB", "gh200"),
        ("model", "Llama-2-7B", "llama-2-7b"),
        ("model", "Llama-2-70B", "llama-2-70b"),
        ("model", "Llama-3-8B", "llama-3-8b"),
        ("model", "Llama-3-70B", "llama-3-70b"),
        ("model", "Llama-3.1-8B", "llama-3.1-8b"),
        ("model", "Llama-3.1-405B", "llama-3.1-405b"),
        ("model", "Llama-3.3-70B", "llama-3.3-70b"),
        ("model", "Mistral-7B", "mistral-7b"),
        ("model", "Mixtral-8x7B", "mixtral-8x7b"),
    ],
    ids=lambda value: str(value),
)
def test_calibration_names_resolve(cat, section, name, expected_id):
    assert getattr(cat, section)(name).id == expected_id


def test_unknown_name_suggests_the_nearest_ids(cat):
    with pytest.raises(UnknownEntryError) as caught:
        cat.model("llama-3.1-7b")
    error = caught.value
    assert (error.kind, error.name) == ("model", "llama-3.1-7b")
    assert "llama-3.1-8b" in error.suggestions
    assert str(error) == (
        f"unknown model 'llama-3.1-7b'; did you mean: {', '.join(error.suggestions)}?"
    )
    # One exception type for callers that catch lookups, another for the CLI's exit code 2.
    assert isinstance(error, LookupError)
    assert isinstance(error, CatalogError)


def test_unknown_name_without_anything_close(cat):
    with pytest.raises(UnknownEntryError, match=r"^unknown GPU 'zzz-9000'$"):
        cat.gpu("zzz-9000")


def test_vm_skus_for_gpu_are_sorted_by_name(cat):
    names = [sku.name for sku in cat.vm_skus_for_gpu("a100-80gb-pcie")]
    assert names == [
        "Standard_NC24ads_A100_v4",
        "Standard_NC48ads_A100_v4",
        "Standard_NC96ads_A100_v4",
    ]
    assert [sku.name for sku in cat.vm_skus_for_gpu("H100-80GB-SXM")] == [
        "Standard_ND96isr_H100_v5"
    ]
    assert cat.vm_skus_for_gpu("gh200") == []


def test_sections_are_sorted_and_loading_is_deterministic(cat):
    again = load_catalog()
    for section in ("models", "gpus", "precisions", "vm_skus", "regions"):
        ids = list(getattr(cat, section))
        assert ids == sorted(ids), section
        assert getattr(again, section) == getattr(cat, section)
    for sku in cat.vm_skus.values():
        assert list(sku.prices) == sorted(sku.prices)
        assert list(sku.regions) == sorted(sku.regions)


def test_catalog_imports_neither_pulumi_nor_spec():
    code = (
        "import sys, sizing.catalog\n"
        "sizing.catalog.load_catalog()\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'pulumi'"
        " or m in ('inputs.workload', 'inputs.loader'))\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- models -------------------------------------------------------------------------------------

# id: (params_total, layers, hidden, heads, kv_heads, intermediate, vocab, context), from each
# model's Hugging Face config.json and checkpoint parameter count.
PUBLISHED_MODELS = {
    "llama-2-7b": (6738415616, 32, 4096, 32, 32, 11008, 32000, 4096),
    "llama-2-70b": (68976648192, 80, 8192, 64, 8, 28672, 32000, 4096),
    "llama-3-8b": (8030261248, 32, 4096, 32, 8, 14336, 128256, 8192),
    "llama-3-70b": (70553706496, 80, 8192, 64, 8, 28672, 128256, 8192),
    "llama-3.1-8b": (8030261248, 32, 4096, 32, 8, 14336, 128256, 131072),
    "llama-3.1-70b": (70553706496, 80, 8192, 64, 8, 28672, 128256, 131072),
    "llama-3.1-405b": (405853388800, 126, 16384, 128, 8, 53248, 128256, 131072),
    "llama-3.3-70b": (70553706496, 80, 8192, 64, 8, 28672, 128256, 131072),
    "mistral-7b": (7248023552, 32, 4096, 32, 8, 14336, 32768, 32768),
    "mixtral-8x7b": (46702792704, 32, 4096, 32, 8, 14336, 32000, 32768),
    "phi-3-mini-4k": (3821079552, 32, 3072, 32, 32, 8192, 32064, 4096),
    "phi-3-mini-128k": (3821079552, 32, 3072, 32, 32, 8192, 32064, 131072),
    # Newer models: parameters counted from the same config shapes (the entries' notes say so).
    "qwen3-8b": (8190735360, 36, 4096, 32, 8, 12288, 151936, 40960),
    "qwen3-14b": (14768307200, 40, 5120, 40, 8, 17408, 151936, 40960),
    "qwen3-32b": (32762123264, 64, 5120, 64, 8, 25600, 151936, 40960),
    "qwen3-30b-a3b": (30532122624, 48, 2048, 32, 4, 6144, 151936, 40960),
    "qwen3-235b-a22b": (235093634560, 94, 4096, 64, 4, 12288, 151936, 40960),
    "deepseek-v3": (671026419200, 61, 7168, 128, 128, 18432, 129280, 163840),
    "deepseek-r1": (671026419200, 61, 7168, 128, 128, 18432, 129280, 163840),
    "gpt-oss-20b": (20914757184, 24, 2880, 64, 8, 2880, 201088, 131072),
    "gpt-oss-120b": (116829156672, 36, 2880, 64, 8, 2880, 201088, 131072),
    "llama-4-scout": (107769861120, 48, 5120, 40, 8, 16384, 202048, 10485760),
    "llama-4-maverick": (400711848960, 48, 5120, 40, 8, 16384, 202048, 1048576),
    "glm-4.5-air": (106852251264, 46, 4096, 96, 8, 10944, 151552, 131072),
    "glm-4.6": (352797829024, 92, 5120, 96, 8, 12288, 151552, 202752),
    "mistral-small-3.2": (23572403200, 40, 5120, 32, 8, 32768, 131072, 131072),
    "phi-4": (14659507200, 40, 5120, 40, 10, 17920, 100352, 16384),
}


@pytest.mark.parametrize(
    ("model_id", "figures"), PUBLISHED_MODELS.items(), ids=list(PUBLISHED_MODELS)
)
def test_open_model_matches_its_config_json(cat, model_id, figures):
    model = cat.model(model_id)
    assert (
        model.params_total,
        model.layers,
        model.hidden_size,
        model.attention_heads,
        model.kv_heads,
        model.intermediate_size,
        model.vocab_size,
        model.max_context_tokens,
    ) == figures
    assert model.hosting in ("open", "both")  # both: also a Foundry Model sold by Azure
    assert model.license


def test_mixtral_is_a_mixture_of_experts(cat):
    mixtral = cat.model("mixtral-8x7b")
    assert (mixtral.experts_total, mixtral.experts_per_token) == (8, 2)
    assert mixtral.params_active == 12879925248  # 12.9B of 46.7B are used per token


def _open_models():
    return [m for m in load_catalog().models.values() if m.hosting != "managed"]


# Configs that set head_dim on its own, so that heads x head_dim differs from hidden_size.
DECOUPLED_HEAD_DIM = {
    "qwen3-32b": 64 * 128,  # 8,192 against hidden 5,120
    "qwen3-30b-a3b": 32 * 128,
    "qwen3-235b-a22b": 64 * 128,
    "gpt-oss-20b": 64 * 64,
    "gpt-oss-120b": 64 * 64,
    "glm-4.5-air": 96 * 128,
    "glm-4.6": 96 * 128,
    "mistral-small-3.2": 32 * 128,
}


@pytest.mark.parametrize("model", _open_models(), ids=lambda m: m.id)
def test_open_model_architecture_is_consistent(model):
    if model.latent_attention:
        # DeepSeek: a head's query/key is its non-rotary part plus the rotary part.
        assert model.head_dim == model.qk_nope_head_dim + model.qk_rope_head_dim
    else:
        width = DECOUPLED_HEAD_DIM.get(model.id, model.hidden_size)
        assert model.attention_heads * model.head_dim == width
    assert model.attention_heads % model.kv_heads == 0  # grouped-query attention groups
    assert 0 < model.params_active <= model.params_total
    if model.experts_total == 1:
        assert model.params_active == model.params_total


@pytest.mark.parametrize(
    ("model_id", "task", "context_tokens"),
    [
        ("gpt-4o", "chat", 128000),
        ("gpt-4o-mini", "chat", 128000),
        ("gpt-4.1", "chat", 1047576),
        ("gpt-4.1-mini", "chat", 1047576),
        ("text-embedding-3-large", "embedding", 8191),
        ("text-embedding-3-small", "embedding", 8191),
    ],
    ids=lambda value: str(value),
)
def test_managed_models_route_to_azure_openai(cat, model_id, task, context_tokens):
    model = cat.model(model_id)
    assert model.hosting == "managed"
    assert model.azure_openai_name == model_id
    assert (model.task, model.max_context_tokens) == (task, context_tokens)
    assert model.params_total == model.layers == 0  # architecture not published


# --- GPUs and precisions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gpu_id", "memory_bytes"),
    [
        ("a100-80gb-sxm", 81920 * MIB),  # capacity nvidia-smi reports
        ("h100-sxm", 81559 * MIB),
        ("h200-sxm", 143771 * MIB),
        ("h100-nvl", 94 * 10**9),  # marketed decimal GB where no driver figure was at hand
    ],
    ids=lambda value: str(value),
)
def test_gpu_memory(cat, gpu_id, memory_bytes):
    assert cat.gpu(gpu_id).memory_bytes == memory_bytes


@pytest.mark.parametrize(
    ("gpu_id", "interconnect", "one_direction_bytes_per_s"),
    [
        ("h100-sxm", "nvlink", 450e9),  # NVLink4 900 GB/s bidirectional
        ("h200-sxm", "nvlink", 450e9),
        ("a100-80gb-sxm", "nvlink", 300e9),  # NVLink3 600 GB/s bidirectional
        ("h100-nvl", "nvlink-bridge", 300e9),
        ("a100-80gb-pcie", "pcie", 32e9),  # PCIe Gen4 x16
        ("t4", "pcie", 16e9),  # PCIe Gen3 x16
    ],
    ids=lambda value: str(value),
)
def test_gpu_interconnect_is_one_direction(cat, gpu_id, interconnect, one_direction_bytes_per_s):
    gpu = cat.gpu(gpu_id)
    assert (gpu.interconnect, gpu.interconnect_bytes_per_s) == (
        interconnect,
        one_direction_bytes_per_s,
    )


@pytest.mark.parametrize("gpu", load_catalog().gpus.values(), ids=lambda g: g.id)
def test_fp8_and_bf16_only_where_the_tensor_cores_exist(gpu):
    if gpu.compute_capability is not None:
        assert gpu.fp8_supported == (gpu.compute_capability >= 8.9)
        assert ("bf16" in gpu.dense_flops_per_s) == (gpu.compute_capability >= 8.0)
    assert gpu.dense_flops_per_s.get("fp16", 0) > 0


def test_dense_flops_are_half_the_sparse_headline(cat):
    # H100 SXM datasheet: 1,979 TFLOPS BF16 and 3,958 TFLOPS FP8 with sparsity.
    assert cat.gpu("h100-sxm").dense_flops_per_s == {
        "bf16": 989e12,
        "fp16": 989e12,
        "fp8": 1979e12,
        "int8": 1979e12,
    }


@pytest.mark.parametrize(
    ("precision", "gpu", "reason"),
    [
        ("bf16", "t4", "bf16 needs compute capability >= 8.0; T4 has 7.5"),
        ("fp8", "a100-80gb-sxm", "fp8 needs compute capability >= 8.9; A100-80GB-SXM has 8.0"),
        ("fp8", "a10", "fp8 needs compute capability >= 8.9; A10 has 8.6"),
        ("int4", "t4", "int4 needs compute capability >= 8.0; T4 has 7.5"),
        ("int4", "mi300x", "int4 uses vLLM's awq_marlin kernels, which exist for NVIDIA GPUs only"),
        ("fp8", "h100-sxm", None),
        ("fp8", "l40s", None),
        ("fp8", "mi300x", None),
        ("bf16", "a100-80gb-pcie", None),
        ("fp16", "t4", None),
        ("int8", "t4", None),
        ("int4", "a10", None),
    ],
    ids=lambda value: str(value),
)
def test_precision_supported(cat, precision, gpu, reason):
    got = precision_supported(cat.precision(precision), cat.gpu(gpu))
    if reason is None:
        assert got is None
    else:
        assert got is not None and got.startswith(reason)


@pytest.mark.parametrize(
    ("precision", "weight_bytes", "kv_bytes", "kv_dtype", "vllm_quantization"),
    [
        ("fp16", 2.0, 2.0, "auto", None),
        ("bf16", 2.0, 2.0, "auto", None),
        ("fp8", 1.0, 1.0, "fp8", "fp8"),
        ("int8", 1.0, 2.0, "auto", "compressed-tensors"),
        ("int4", 4.25 / 8, 2.0, "auto", "awq_marlin"),  # 4 bits + group-128 scales and zeros
    ],
    ids=lambda value: str(value),
)
def test_precision_bytes_and_vllm_flags(
    cat, precision, weight_bytes, kv_bytes, kv_dtype, vllm_quantization
):
    spec = cat.precision(precision)
    assert spec.weight_bytes_per_param == weight_bytes
    assert (spec.kv_cache_bytes_per_element, spec.kv_cache_dtype) == (kv_bytes, kv_dtype)
    assert spec.vllm_quantization == vllm_quantization


# --- VM SKUs, regions, prices -------------------------------------------------------------------


@pytest.mark.parametrize("sku", load_catalog().vm_skus.values(), ids=lambda s: s.name)
def test_vm_sku_references_and_prices(cat, sku):
    assert sku.gpu in cat.gpus
    assert set(sku.regions) <= set(cat.regions)
    # Every listed region has a price, and only listed regions do; a size no price could be
    # sourced for (ND MI300X v5, ND GB200 v6) has none, so plans cannot cost it.
    assert not sku.prices or set(sku.prices) == set(sku.regions)
    for price in sku.prices.values():
        assert price.usd_per_hour > 0
        assert price.kind in ("observed", "observed-third-party", "estimate")
    # Azure publishes no region list per size: the catalog must say its list is an estimate.
    assert "estimate" in sku.regions_provenance.source
    assert sku.memory_bytes % GIB == 0


@pytest.mark.parametrize(
    ("name", "fraction", "gpu_memory_gb"),
    [
        # NVadsA10_v5 size page: Accelerators 1/6, 1/3, 1/2, 1; Accelerator-Memory 4, 8, 12, 24 GB.
        ("Standard_NV6ads_A10_v5", 0.1667, 4),
        ("Standard_NV12ads_A10_v5", 0.3333, 8),
        ("Standard_NV18ads_A10_v5", 0.5, 12),
        ("Standard_NV36ads_A10_v5", 1.0, 24),
        # NC RTX PRO 6000 BSE v6 GA sizes: a quarter, half, one and two 96 GB GPUs.
        ("Standard_NC36ds_xl_RTXPRO6000BSE_v6", 0.25, 24),
        ("Standard_NC72ds_xl_RTXPRO6000BSE_v6", 0.5, 48),
        ("Standard_NC144ds_xl_RTXPRO6000BSE_v6", 1.0, 96),
        ("Standard_NC288ds_xl_RTXPRO6000BSE_v6", 1.0, 192),
    ],
)
def test_fractional_sizes_hold_their_share_of_one_gpu(cat, name, fraction, gpu_memory_gb):
    sku = cat.vm_sku(name)
    assert sku.gpu_fraction == fraction
    assert sku.fractional == (fraction < 1)
    gpu_memory = sku.gpu_share * cat.gpu(sku.gpu).memory_bytes
    assert gpu_memory == pytest.approx(gpu_memory_gb * 1e9, rel=0.001)


@pytest.mark.parametrize(
    ("name", "driver", "architecture"),
    [
        ("Standard_NV6ads_A10_v5", "nvidia-grid", "amd64"),
        ("Standard_NC144ds_xl_RTXPRO6000BSE_v6", "nvidia-grid", "amd64"),
        ("Standard_ND96isr_MI300X_v5", "amd-gpu-operator", "amd64"),
        ("Standard_ND128isr_NDR_GB200_v6", "nvidia", "arm64"),
        ("Standard_ND96isr_H100_v5", "nvidia", "amd64"),
    ],
)
def test_vm_sizes_name_their_driver_and_host_architecture(cat, name, driver, architecture):
    sku = cat.vm_sku(name)
    assert (sku.gpu_driver, sku.host_architecture) == (driver, architecture)


def test_new_gpu_families_carry_their_gpus(cat):
    assert cat.vm_sku("Standard_ND96isr_MI300X_v5").gpus == 8
    assert cat.vm_sku("Standard_ND96isr_MI300X_v5").gpu == "mi300x"
    assert cat.gpu("rtx-pro-6000-bse").memory_bytes == 96 * 10**9
    assert cat.gpu("rtx-pro-6000-bse").interconnect == "pcie"  # no NVLink on the Server Edition
    assert cat.gpu("gb200").memory_bytes == 189471 * MIB  # driver-reported, per Blackwell GPU
    assert cat.vm_sku("Standard_ND128isr_NDR_GB200_v6").gpus == 4


def test_estimated_prices_follow_the_multiplier_table(cat):
    t4 = cat.vm_sku("Standard_NC4as_T4_v3")
    assert t4.prices["eastus"].kind == "observed-third-party"
    assert t4.prices["uksouth"].kind == "estimate"
    assert t4.prices["uksouth"].usd_per_hour == pytest.approx(0.526 * 1.15, abs=0.001)


@pytest.mark.parametrize(
    ("region", "geography"),
    [
        ("swedencentral", "eu"),
        ("westeurope", "eu"),
        ("germanywestcentral", "eu"),
        ("uksouth", "uk"),  # not an EU member state: outside the EU data zone
        ("switzerlandnorth", "ch"),
        ("norwayeast", "no"),  # quoted in YAML, or it would read as false
        ("eastus2", "us"),
    ],
    ids=lambda value: str(value),
)
def test_region_geography(cat, region, geography):
    assert cat.region(region).geography == geography


def test_paired_regions_exist(cat):
    for region in cat.regions.values():
        assert region.paired_region is None or region.paired_region in cat.regions


def test_every_entry_has_provenance(cat):
    dated = [*cat.models.values(), *cat.gpus.values(), *cat.vm_skus.values()]
    dated += [price for sku in cat.vm_skus.values() for price in sku.prices.values()]
    for entry in dated:
        assert entry.provenance.source, entry
        assert ISO_DATE.match(entry.provenance.date), entry


# --- user catalog folders -----------------------------------------------------------------------

USER_GPUS = """
    kind: gpus
    schema_version: 1
    sources:
      lab: "Platform team measurement, nvidia-smi on our own nodes"
    gpus:
      - id: h100-sxm
        aliases: [H100-80GB-SXM, h100]
        vendor: NVIDIA
        arch: Hopper
        compute_capability: 9.0
        memory_bytes: 80000000000
        memory_basis: marketed
        hbm_bandwidth_bytes_per_s: 3.35e+12
        dense_flops_per_s: {bf16: 989.0e+12, fp8: 1979.0e+12}
        interconnect_bytes_per_s: 450.0e+9
        interconnect: nvlink
        source: lab
        date: 2026-09-02
      - id: rtx-pro-6000
        vendor: NVIDIA
        arch: Blackwell
        compute_capability: 12.0
        memory_bytes: 96000000000
        memory_basis: marketed
        hbm_bandwidth_bytes_per_s: 1.792e+12
        dense_flops_per_s: {fp16: 500.0e+12, bf16: 500.0e+12, fp8: 1000.0e+12}
        interconnect_bytes_per_s: 64.0e+9
        interconnect: pcie
        source: lab
        date: 2026-09-02
"""


def test_user_folder_overrides_a_builtin_entry_and_adds_a_gpu(tmp_path):
    write(tmp_path / "team", "our-gpus.yaml", USER_GPUS)
    cat = load_catalog(extra_dirs=[tmp_path / "team"])
    assert cat.gpu("h100").memory_bytes == 80_000_000_000  # the later file wins
    assert cat.gpu("h100").provenance.date == "2026-09-02"
    assert cat.gpu("rtx-pro-6000").arch == "Blackwell"
    assert cat.gpu("h200").memory_bytes == 143771 * MIB  # untouched built-ins stay
    assert list(cat.gpus) == sorted(cat.gpus)


def test_catalog_path_env_adds_folders_to_the_default_catalog(tmp_path, monkeypatch):
    write(tmp_path / "a", "gpus.yaml", USER_GPUS)
    monkeypatch.setenv(CATALOG_PATH_ENV, str(tmp_path / "a"))
    assert "rtx-pro-6000" in default_catalog().gpus
    assert default_catalog() is default_catalog()  # cached per value of the variable
    monkeypatch.delenv(CATALOG_PATH_ENV)
    assert "rtx-pro-6000" not in default_catalog().gpus


def test_user_vm_sku_can_use_a_user_gpu(tmp_path):
    write(tmp_path, "gpus.yaml", USER_GPUS)
    write(
        tmp_path,
        "vm_skus.yaml",
        """
        kind: vm_skus
        schema_version: 1
        sources:
          quote: "Our Azure account team's quote, 2026-09"
        vm_skus:
          - name: Standard_NC128_RTXPRO6000_v6
            family: NC_RTXPRO6000_v6
            gpu: rtx-pro-6000
            gpus: 1
            vcpus: 32
            memory_bytes: 274877906944    # 256 GiB
            aks_supported: false
            zonal: false
            regions: [swedencentral]
            regions_source: quote
            regions_date: 2026-09
            source: quote
            date: 2026-09
            prices:
              swedencentral: {usd_per_hour: 4.1, kind: estimate, source: quote, date: 2026-09,
                              basis: swedencentral}
        """,
    )
    cat = load_catalog(extra_dirs=[tmp_path])
    assert [sku.name for sku in cat.vm_skus_for_gpu("rtx-pro-6000")] == [
        "Standard_NC128_RTXPRO6000_v6"
    ]
    assert len(cat.vm_skus) == len(load_catalog().vm_skus) + 1


# Each case: a user catalog file with one mistake, the line marker where it is, and the message.
MALFORMED = {
    "typo-in-field": (
        USER_GPUS.replace(
            "memory_basis: marketed\n        hbm", "memory_basis: marketed\n        hmb"
        ),
        "hmb_bandwidth",
        "unknown field 'hmb_bandwidth_bytes_per_s'; did you mean 'hbm_bandwidth_bytes_per_s'?",
    ),
    "wrong-type": (
        USER_GPUS.replace("compute_capability: 12.0", "compute_capability: twelve"),
        "compute_capability: twelve",
        "expected a number, got string 'twelve'",
    ),
    "yaml-syntax": (
        USER_GPUS.replace("aliases: [H100-80GB-SXM, h100]", "aliases: [H100-80GB-SXM, h100"),
        "vendor: NVIDIA",
        "YAML syntax error: expected ',' or ']'",
    ),
    "duplicate-key": (
        USER_GPUS.replace("arch: Blackwell", "arch: Blackwell\n        arch: Ada"),
        "arch: Ada",
        "duplicate key 'arch'",
    ),
    "unknown-source": (
        USER_GPUS.replace(
            "source: lab\n        date: 2026-09-02\n      - id",
            "source: labb\n        date: 2026-09-02\n      - id",
        ),
        "source: labb",
        "unknown source key 'labb'",
    ),
    "unknown-kind": (
        USER_GPUS.replace("kind: gpus", "kind: gpu"),
        "kind: gpu",
        "unknown catalog kind 'gpu'",
    ),
    "alias-taken": (
        USER_GPUS.replace("- id: rtx-pro-6000", "- id: rtx-pro-6000\n        aliases: [h200]"),
        "- id: rtx-pro-6000",
        "name 'h200' already names GPU 'h200-sxm'",
    ),
}


@pytest.mark.parametrize(("text", "marker", "message"), MALFORMED.values(), ids=list(MALFORMED))
def test_malformed_user_file_names_file_and_line(tmp_path, text, marker, message):
    path = write(tmp_path, "bad.yaml", text)
    with pytest.raises(CatalogError) as caught:
        load_catalog(extra_dirs=[tmp_path])
    # Reported like a workload file's mistakes: file:line:col: field: message.
    problem = next(p for p in caught.value.problems if message in p.message)
    assert (problem.file, problem.line) == (str(path), line_of(path, marker))
    assert problem.format().startswith(f"{path}:{problem.line}:{problem.col}: ")


def test_vm_sku_with_unknown_gpu_points_at_its_gpu_line(tmp_path):
    path = write(
        tmp_path,
        "skus.yaml",
        """
        kind: vm_skus
        schema_version: 1
        sources: {doc: "size page"}
        vm_skus:
          - name: Standard_X1
            family: X
            gpu: b300
            gpus: 8
            vcpus: 96
            memory_bytes: 1073741824
            aks_supported: false
            zonal: false
            regions: [eastus]
            regions_source: doc
            regions_date: 2026-09
            source: doc
            date: 2026-09
        """,
    )
    with pytest.raises(CatalogError) as caught:
        load_catalog(extra_dirs=[tmp_path])
    assert str(caught.value) == (
        f"{path}:{line_of(path, 'gpu: b300')}:10: vm_skus[0].gpu: unknown GPU id 'b300'"
    )


FRACTION_SKU = """
    kind: vm_skus
    schema_version: 1
    sources: {doc: "size page"}
    vm_skus:
      - name: Standard_NV6ads_A10_v5
        family: NVadsA10_v5
        gpu: a10
        gpus: GPUS
        gpu_fraction: FRACTION
        vcpus: 6
        memory_bytes: 59055800320
        aks_supported: true
        zonal: true
        regions: [eastus]
        regions_source: doc
        regions_date: 2026-12
        source: doc
        date: 2026-12
"""


@pytest.mark.parametrize(
    ("gpus", "fraction", "marker", "message"),
    [
        (1, "0", "gpu_fraction: 0", "vm_skus[0].gpu_fraction: must be greater than 0, got 0"),
        (1, "1.5", "gpu_fraction: 1.5", "vm_skus[0].gpu_fraction: must be at most 1, got 1.5"),
        (1, "a sixth", "gpu_fraction: a sixth", "expected a number, got string 'a sixth'"),
        (2, "0.5", "- name: Standard_NV6ads", "describes a slice of one GPU: set gpus: 1"),
    ],
)
def test_bad_gpu_fraction_is_reported_at_its_line(tmp_path, gpus, fraction, marker, message):
    text = FRACTION_SKU.replace("GPUS", str(gpus)).replace("FRACTION", fraction)
    path = write(tmp_path, "skus.yaml", text)
    with pytest.raises(CatalogError) as caught:
        load_catalog(extra_dirs=[tmp_path])
    problem = next(p for p in caught.value.problems if message in p.format())
    assert (problem.file, problem.line) == (str(path), line_of(path, marker))
    assert problem.format().startswith(f"{path}:{problem.line}:{problem.col}: ")


def test_missing_catalog_folder_is_an_error(tmp_path):
    with pytest.raises(CatalogError, match="catalog folder not found"):
        load_catalog(extra_dirs=[tmp_path / "nope"])


# --- the newer open models ----------------------------------------------------------------------


# The names vllm-steady.csv measures, which the calibration report counts once they resolve.
@pytest.mark.parametrize(
    ("name", "expected_id"),
    [
        ("Qwen3-8B", "qwen3-8b"),
        ("Qwen3-14B", "qwen3-14b"),
        ("Qwen3-32B", "qwen3-32b"),
        ("Qwen3-235B-A22B", "qwen3-235b-a22b"),
        ("GLM-4.5-Air", "glm-4.5-air"),
        ("GLM-4.6", "glm-4.6"),
        ("deepseek-ai/DeepSeek-R1", "deepseek-r1"),
        ("meta-llama/Llama-4-Scout-17B-16E-Instruct", "llama-4-scout"),
    ],
    ids=lambda value: str(value),
)
def test_newer_model_names_resolve(cat, name, expected_id):
    assert cat.model(name).id == expected_id


# id: (Hugging Face repository, licence, gated, published precision, minimum vLLM)
SERVED_FROM = {
    "qwen3-8b": ("Qwen/Qwen3-8B", "Apache-2.0", False, "bf16", "0.8.5"),
    "qwen3-14b": ("Qwen/Qwen3-14B", "Apache-2.0", False, "bf16", "0.8.5"),
    "qwen3-32b": ("Qwen/Qwen3-32B", "Apache-2.0", False, "bf16", "0.8.5"),
    "qwen3-30b-a3b": ("Qwen/Qwen3-30B-A3B", "Apache-2.0", False, "bf16", "0.8.5"),
    "qwen3-235b-a22b": ("Qwen/Qwen3-235B-A22B", "Apache-2.0", False, "bf16", "0.8.5"),
    "deepseek-v3": ("deepseek-ai/DeepSeek-V3", "MIT", False, "fp8", "0.6.6"),
    "deepseek-r1": ("deepseek-ai/DeepSeek-R1", "MIT", False, "fp8", "0.6.6"),
    "gpt-oss-20b": ("openai/gpt-oss-20b", "Apache-2.0", False, "mxfp4", "0.10.1"),
    "gpt-oss-120b": ("openai/gpt-oss-120b", "Apache-2.0", False, "mxfp4", "0.10.1"),
    "llama-4-scout": (
        "meta-llama/Llama-4-Scout-17B-16E-Instruct",
        "Llama 4 Community License",
        True,
        "bf16",
        "0.8.3",
    ),
    "llama-4-maverick": (
        "meta-llama/Llama-4-Maverick-17B-128E-Instruct",
        "Llama 4 Community License",
        True,
        "bf16",
        "0.8.3",
    ),
    "glm-4.5-air": ("zai-org/GLM-4.5-Air", "MIT", False, "bf16", "0.10.0"),
    "glm-4.6": ("zai-org/GLM-4.6", "MIT", False, "bf16", "0.10.0"),
    "mistral-small-3.2": (
        "mistralai/Mistral-Small-3.2-24B-Instruct-2506",
        "Apache-2.0",
        False,
        "bf16",
        None,
    ),
    "phi-4": ("microsoft/phi-4", "MIT", False, "bf16", None),
}


@pytest.mark.parametrize(("model_id", "served"), SERVED_FROM.items(), ids=list(SERVED_FROM))
def test_newer_models_name_their_repository_licence_and_vllm_release(cat, model_id, served):
    model = cat.model(model_id)
    assert (
        model.hf_repository,
        model.license,
        model.gated,
        model.published_precision,
        model.min_vllm_version,
    ) == served
    assert model.provenance.source and ISO_DATE.match(model.provenance.date)
    assert "aic-configs" in model.source or model.note  # a verbatim config copy, or a note why not


@pytest.mark.parametrize(
    ("model_id", "figures"),
    [
        # (kv_lora_rank, q_lora_rank, qk_rope, qk_nope, v_head_dim) from DeepSeek's config.json
        pytest.param("deepseek-v3", (512, 1536, 64, 128, 128), id="deepseek-v3"),
        pytest.param("deepseek-r1", (512, 1536, 64, 128, 128), id="deepseek-r1"),
    ],
)
def test_latent_attention_figures(cat, model_id, figures):
    m = cat.model(model_id)
    got = (m.kv_lora_rank, m.q_lora_rank, m.qk_rope_head_dim, m.qk_nope_head_dim, m.v_head_dim)
    assert got == figures


@pytest.mark.parametrize(
    ("model_id", "figures"),
    [
        # (experts, per token, expert width, shared, dense layers), from each config.json
        pytest.param("qwen3-30b-a3b", (128, 8, 768, 0, 0), id="qwen3-30b-a3b"),
        pytest.param("qwen3-235b-a22b", (128, 8, 1536, 0, 0), id="qwen3-235b-a22b"),
        pytest.param("deepseek-v3", (256, 8, 2048, 1, 3), id="deepseek-v3"),
        pytest.param("gpt-oss-120b", (128, 4, 2880, 0, 0), id="gpt-oss-120b"),
        pytest.param("llama-4-scout", (16, 1, 8192, 1, 0), id="llama-4-scout"),
        pytest.param("llama-4-maverick", (128, 1, 8192, 1, 24), id="llama-4-maverick"),
        pytest.param("glm-4.5-air", (128, 8, 1408, 1, 1), id="glm-4.5-air"),
        pytest.param("glm-4.6", (160, 8, 1536, 1, 3), id="glm-4.6"),
    ],
)
def test_mixture_of_experts_figures(cat, model_id, figures):
    m = cat.model(model_id)
    got = (
        m.experts_total,
        m.experts_per_token,
        m.expert_intermediate_size,
        m.shared_experts,
        m.dense_layers,
    )
    assert got == figures


@pytest.mark.parametrize(
    ("model_id", "figures"),
    [
        # (sliding_window, attention_chunk_size, local layers of all layers)
        pytest.param("gpt-oss-20b", (128, 0, 12, 24), id="gpt-oss-20b"),  # layer_types alternate
        pytest.param("gpt-oss-120b", (128, 0, 18, 36), id="gpt-oss-120b"),
        pytest.param("llama-4-scout", (0, 8192, 36, 48), id="llama-4-scout"),  # NoPE every 4th
        pytest.param("llama-4-maverick", (0, 8192, 36, 48), id="llama-4-maverick"),
    ],
)
def test_windowed_attention_figures(cat, model_id, figures):
    m = cat.model(model_id)
    got = (m.sliding_window, m.attention_chunk_size, m.local_attention_layers, m.layers)
    assert got == figures


def test_mxfp4_is_an_experts_only_precision_vllm_runs_from_ampere(cat):
    mxfp4 = cat.precision("mxfp4")
    assert mxfp4.quantizes == "experts"
    assert mxfp4.weight_bytes_per_param == 0.53125  # (4 + 8 / 32) bits / 8
    assert (mxfp4.min_compute_capability, mxfp4.min_vllm_version) == (8.0, "0.10.1")
    assert precision_supported(mxfp4, cat.gpu("a100-80gb-sxm")) is None
    assert precision_supported(mxfp4, cat.gpu("t4")) == (
        "mxfp4 needs compute capability >= 8.0; T4 has 7.5"
    )


MODEL_ENTRY = """
    kind: models
    schema_version: 1
    sources: {doc: "config.json"}
    models:
      - id: tiny-moe
        family: tiny
        hosting: open
        params_total: 1000000
        params_active: 1000000
        layers: 2
        hidden_size: 64
        attention_heads: 4
        kv_heads: 4
        head_dim: 16
        intermediate_size: 128
        vocab_size: 100
        max_context_tokens: 4096
        license: MIT
        {extra}
        source: doc
        date: 2026-09
"""


@pytest.mark.parametrize(
    ("extra", "marker", "message"),
    [
        pytest.param(
            "published_precision: fp4x",
            "published_precision",
            "models[0].published_precision: unknown precision 'fp4x'",
            id="unknown-published-precision",
        ),
        pytest.param(
            "shared_experts: 1",
            "- id: tiny-moe",
            "models[0]: shared_experts describe experts: set experts_total > 1",
            id="experts-fields-on-a-dense-model",
        ),
        pytest.param(
            "kv_lora_rank: 512",
            "- id: tiny-moe",
            "models[0]: latent attention (kv_lora_rank) needs qk_rope_head_dim, "
            "qk_nope_head_dim, v_head_dim > 0",
            id="half-a-latent-attention",
        ),
        pytest.param(
            "sliding_window: 128",
            "- id: tiny-moe",
            "models[0]: local_attention_layers and a sliding_window or attention_chunk_size go "
            "together",
            id="window-without-layers",
        ),
    ],
)
def test_inconsistent_model_entries_are_reported(tmp_path, extra, marker, message):
    path = write(tmp_path, "models.yaml", MODEL_ENTRY.replace("{extra}", extra))
    with pytest.raises(CatalogError) as caught:
        load_catalog(extra_dirs=[tmp_path])
    where, _, said = str(caught.value).partition(" ")
    assert where.startswith(f"{path}:{line_of(path, marker)}:")  # file:line:col
    assert said == message


# --- pins: image digests and model commits -------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "text", "marker", "message"),
    [
        pytest.param(
            "model_sources.yaml",
            "kind: model_sources\nschema_version: 1\nsources: {s: a source}\norganizations: {}\n"
            "revisions:\n  org/repo: {revision: main, source: s, date: '2026-12-08'}\n",
            "org/repo:",
            "revisions.org/repo.revision",
            id="revision-not-a-commit",
        ),
        pytest.param(
            "images.yaml",
            (Path(__file__).parents[2] / "sizing/catalog/data/images.yaml")
            .read_text()
            .replace("tag: v0.18.0, digest: null", "tag: v0.18.0, digest: 'sha256:abc'"),
            "tag: v0.18.0, digest: 'sha256:abc'",
            "digest",
            id="digest-too-short",
        ),
    ],
)
def test_a_pin_that_is_not_a_commit_or_a_digest_is_reported_at_its_line(
    tmp_path, file, text, marker, message
):
    """A revision must be a 40-hex commit (a branch name could move), a digest sha256 of 64."""
    path = write(tmp_path, file, text)
    with pytest.raises(CatalogError) as caught:
        load_catalog(extra_dirs=[tmp_path])
    problem = next(p for p in caught.value.problems if message in p.format())
    assert (problem.file, problem.line) == (str(path), line_of(path, marker))
    assert problem.format().startswith(f"{path}:{problem.line}:{problem.col}: ")
