// Public entry (ES modules): the same objects as the CommonJS entry.
import api from './index.js'

export const { Moka, SharedMoka, cached, cacheOf, TimeoutError, AbortError, DEFAULT_MAX_CAPACITY, DEFAULT_BACKOFF, CHANNELS } = api
export default api
