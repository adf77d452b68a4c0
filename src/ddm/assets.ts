// Asset data the server hosts for asset declarations (com.apple.asset.data and the credential assets):
// an admin uploads bytes under a name; devices GET them at /ddm/assets/<name>. Size and SHA-256 come
// back so the declaration's Reference (DataURL, Size, Hash-SHA-256) can name exactly this content.
import { createHash } from 'node:crypto';
import type { Store } from '../storage/types.js';
import { DdmError } from './service.js';

const ASSET_NAME = /^[A-Za-z0-9._-]{1,128}$/;
export const ASSET_PATH = '/ddm/assets/';

export interface AssetInfo {
  name: string;
  contentType: string;
  size: number;
  sha256: string;
  /** Path of the data on this server (prefix it with the public URL for a DataURL). */
  path: string;
}

export function createAssetData(store: Store) {
  return {
    async putAssetData(name: string, contentType: string, data: Buffer, at = new Date()): Promise<AssetInfo> {
      if (!ASSET_NAME.test(name)) throw new DdmError(400, 'an asset name is 1-128 letters, digits or . _ -', 'name');
      if (data.length === 0) throw new DdmError(400, 'the asset data is empty', 'body');
      const sha256 = createHash('sha256').update(data).digest('hex');
      await store.ddmPutAssetData({ name, contentType, data, sha256 }, at);
      return { name, contentType, size: data.length, sha256, path: ASSET_PATH + name };
    },

    getAssetData: (name: string) => store.ddmGetAssetData(name),

    async deleteAssetData(name: string): Promise<void> {
      if (!(await store.ddmDeleteAssetData(name))) throw new DdmError(404, `unknown asset data ${JSON.stringify(name)}`, 'name');
    },
  };
}
