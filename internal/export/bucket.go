package export

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/azureblob" // azblob:// buckets
	_ "gocloud.dev/blob/fileblob"  // file:// folders, the default
	_ "gocloud.dev/blob/gcsblob"   // gs:// buckets
	_ "gocloud.dev/blob/s3blob"    // s3:// buckets
	"gocloud.dev/gcerrors"
)

// OpenBucket opens the blob storage for export files: a bucket URL (s3://, gs://,
// azblob://, file://) or, when empty, the folder dataDir/exports.
func OpenBucket(ctx context.Context, bucketURL, dataDir string) (*blob.Bucket, error) {
	if bucketURL == "" {
		dir, err := filepath.Abs(filepath.Join(dataDir, "exports"))
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("export folder %s: %w", dir, err)
		}
		bucketURL = (&url.URL{Scheme: "file", Path: filepath.ToSlash(dir)}).String() + "?no_tmp_dir=true"
	}
	b, err := blob.OpenBucket(ctx, bucketURL)
	if err != nil {
		return nil, fmt.Errorf("open export storage %q: %w", bucketURL, err)
	}
	return b, nil
}

func isNotExist(err error) bool {
	return gcerrors.Code(err) == gcerrors.NotFound
}
