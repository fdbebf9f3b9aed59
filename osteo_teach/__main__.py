"""``python -m osteo_teach``: check every data file and list its cited values."""

from .data import count_cited, load


def main() -> None:
    data = load()
    for filename, count in count_cited(data).items():
        unit = "references" if filename == "sources.yaml" else "cited statements"
        print(f"data/{filename}: {len(data.table(filename[:-5]))} records, {count} {unit}")


if __name__ == "__main__":
    main()
