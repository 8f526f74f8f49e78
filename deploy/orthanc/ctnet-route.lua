-- /etc/orthanc/ctnet-route.lua: a CT study stable for StableAge seconds goes to CT-Net, once. CT-Net's
-- results (SR, OT, SEG series) make the study change again; it is not sent twice.
function OnStableStudy(studyId, tags, metadata)
  local hasCt = false
  for _, series in ipairs(ParseJson(RestApiGet('/studies/' .. studyId .. '/series'))) do
    local description = series['MainDicomTags']['SeriesDescription'] or ''
    if string.sub(description, 1, 16) == 'CT-Net AI result' then
      return
    end
    if series['MainDicomTags']['Modality'] == 'CT' then
      hasCt = true
    end
  end
  if hasCt then
    RestApiPost('/dicom-web/servers/ctnet/stow', DumpJson({ Resources = { studyId } }))
  end
end
