// Entry of `moka-js/keyv` (ES modules): the same objects as the CommonJS entry.
import api from './keyv.js'

export const { KeyvMoka, DEFAULT_KEYV_CAPACITY } = api
export default api
